/* SQLite schema migrations. The SQL stays close to standard SQL so that the
 * PostgreSQL backend's copy differs only where it must (INTEGER PRIMARY KEY
 * becomes an identity column there). Conventions:
 *   - times are INTEGER Unix seconds, NULL = never; the program passes them,
 *     the schema never calls a clock;
 *   - booleans are INTEGER 0/1;
 *   - DNS names are stored lowercase, so equality lookups hit the indexes;
 *   - every foreign key that a cascade or a listing follows has an index
 *     whose first column is that key.
 * Never edit a released entry: append a new version. */
#include "store/store_backend.h"

static const char migration_1[] =
	/* Django's auth user plus its one-to-one profile, folded into one row. */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  username VARCHAR(150) NOT NULL UNIQUE,"
	"  email VARCHAR(254) NOT NULL DEFAULT '',"
	"  password_hash VARCHAR(255) NOT NULL DEFAULT '',"
	"  first_name VARCHAR(150) NOT NULL DEFAULT '',"
	"  last_name VARCHAR(150) NOT NULL DEFAULT '',"
	"  language VARCHAR(10) NOT NULL DEFAULT '',"
	"  staff INTEGER NOT NULL DEFAULT 0,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  created INTEGER NOT NULL,"
	"  last_login INTEGER"
	");"

	"CREATE TABLE domains ("
	"  id INTEGER PRIMARY KEY,"
	"  name VARCHAR(255) NOT NULL UNIQUE,"
	"  nameserver VARCHAR(80) NOT NULL,"
	"  nameserver2 VARCHAR(80) NOT NULL DEFAULT '',"
	"  algorithm VARCHAR(16) NOT NULL DEFAULT 'hmac-sha512',"
	"  secret VARCHAR(128) NOT NULL DEFAULT '',"
	"  public INTEGER NOT NULL DEFAULT 0,"
	"  available INTEGER NOT NULL DEFAULT 0,"
	"  backoff_until INTEGER,"
	"  comment VARCHAR(255) NOT NULL DEFAULT '',"
	"  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"
	"  last_update INTEGER NOT NULL"
	");"
	"CREATE INDEX domains_owner ON domains(owner_id);"

	/* UNIQUE (domain_id, name) is also the index of the hot FQDN lookup:
	 * domains.name's unique index gives domain_id, then this one the row. */
	"CREATE TABLE hosts ("
	"  id INTEGER PRIMARY KEY,"
	"  name VARCHAR(255) NOT NULL,"
	"  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,"
	"  secret_hash VARCHAR(160) NOT NULL DEFAULT '',"
	"  comment VARCHAR(255) NOT NULL DEFAULT '',"
	"  available INTEGER NOT NULL DEFAULT 1,"
	"  abuse INTEGER NOT NULL DEFAULT 0,"
	"  abuse_blocked INTEGER NOT NULL DEFAULT 0,"
	"  netmask_ipv4 INTEGER NOT NULL DEFAULT 32,"
	"  netmask_ipv6 INTEGER NOT NULL DEFAULT 64,"
	"  client_faults INTEGER NOT NULL DEFAULT 0,"
	"  server_faults INTEGER NOT NULL DEFAULT 0,"
	"  api_auth_faults INTEGER NOT NULL DEFAULT 0,"
	"  client_result_msg VARCHAR(255) NOT NULL DEFAULT '',"
	"  server_result_msg VARCHAR(255) NOT NULL DEFAULT '',"
	"  api_auth_result_msg VARCHAR(255) NOT NULL DEFAULT '',"
	"  last_update_ipv4 INTEGER,"
	"  last_update_ipv6 INTEGER,"
	"  tls_update_ipv4 INTEGER NOT NULL DEFAULT 0,"
	"  tls_update_ipv6 INTEGER NOT NULL DEFAULT 0,"
	"  staleness INTEGER NOT NULL DEFAULT 0,"
	"  staleness_notification_timestamp INTEGER,"
	"  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"
	"  last_update INTEGER NOT NULL,"
	"  UNIQUE (domain_id, name)"
	");"
	"CREATE INDEX hosts_owner ON hosts(owner_id);"

	"CREATE TABLE related_hosts ("
	"  id INTEGER PRIMARY KEY,"
	"  name VARCHAR(255) NOT NULL,"
	"  comment VARCHAR(255) NOT NULL DEFAULT '',"
	"  interface_id_ipv4 VARCHAR(16) DEFAULT '',"
	"  interface_id_ipv6 VARCHAR(40) DEFAULT '',"
	"  available INTEGER NOT NULL DEFAULT 1,"
	"  main_host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"
	"  last_update INTEGER NOT NULL,"
	"  UNIQUE (main_host_id, name)"
	");"

	"CREATE TABLE service_updaters ("
	"  id INTEGER PRIMARY KEY,"
	"  name VARCHAR(32) NOT NULL,"
	"  comment VARCHAR(255) NOT NULL DEFAULT '',"
	"  server VARCHAR(255) NOT NULL,"
	"  path VARCHAR(255) NOT NULL DEFAULT '/nic/update',"
	"  secure INTEGER NOT NULL DEFAULT 1,"
	"  accept_ipv4 INTEGER NOT NULL DEFAULT 0,"
	"  accept_ipv6 INTEGER NOT NULL DEFAULT 0,"
	"  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"
	"  last_update INTEGER NOT NULL"
	");"
	"CREATE INDEX service_updaters_owner ON service_updaters(owner_id);"

	/* password is the third-party service's, so it must stay readable. */
	"CREATE TABLE service_updater_host_configs ("
	"  id INTEGER PRIMARY KEY,"
	"  service_id INTEGER NOT NULL REFERENCES service_updaters(id) ON DELETE CASCADE,"
	"  hostname VARCHAR(255) DEFAULT '',"
	"  comment VARCHAR(255) NOT NULL DEFAULT '',"
	"  name VARCHAR(255) NOT NULL,"
	"  password VARCHAR(255) NOT NULL,"
	"  give_ipv4 INTEGER NOT NULL DEFAULT 0,"
	"  give_ipv6 INTEGER NOT NULL DEFAULT 0,"
	"  host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	"  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"
	"  last_update INTEGER NOT NULL"
	");"
	"CREATE INDEX service_updater_host_configs_host ON service_updater_host_configs(host_id);"
	"CREATE INDEX service_updater_host_configs_service ON service_updater_host_configs(service_id);"
	"CREATE INDEX service_updater_host_configs_owner ON service_updater_host_configs(owner_id);"

	"CREATE TABLE blacklisted_hosts ("
	"  id INTEGER PRIMARY KEY,"
	"  name_re VARCHAR(255) NOT NULL UNIQUE,"
	"  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created INTEGER NOT NULL,"
	"  last_update INTEGER NOT NULL"
	");"
	"CREATE INDEX blacklisted_hosts_owner ON blacklisted_hosts(owner_id);"

	/* Web sessions; user_id NULL = anonymous session. */
	"CREATE TABLE sessions ("
	"  id VARCHAR(128) PRIMARY KEY,"
	"  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,"
	"  data TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL"
	");"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE INDEX sessions_expires ON sessions(expires);"

	/* Updates to forward to third-party services, retried with back-off. */
	"CREATE TABLE forward_queue ("
	"  id INTEGER PRIMARY KEY,"
	"  host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	"  config_id INTEGER NOT NULL REFERENCES service_updater_host_configs(id) ON DELETE CASCADE,"
	"  address VARCHAR(45) NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_result VARCHAR(255) NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX forward_queue_host ON forward_queue(host_id);"
	"CREATE INDEX forward_queue_config ON forward_queue(config_id);"
	"CREATE INDEX forward_queue_next ON forward_queue(next_attempt);"

	/* Who changed what. actor keeps the name after the user is deleted. */
	"CREATE TABLE audit_log ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
	"  actor VARCHAR(150) NOT NULL DEFAULT '',"
	"  action VARCHAR(64) NOT NULL,"
	"  object VARCHAR(255) NOT NULL DEFAULT '',"
	"  before_data TEXT,"
	"  after_data TEXT"
	");"
	"CREATE INDEX audit_log_user ON audit_log(user_id);"
	"CREATE INDEX audit_log_at ON audit_log(at);";

/* Web interface: rate-limit events (login, registration) that every
 * instance sharing the database sees; the session lookup by expiry is
 * covered by sessions_expires from version 1. */
static const char migration_2[] =
	"CREATE TABLE rate_events ("
	"  id INTEGER PRIMARY KEY,"
	"  kind VARCHAR(16) NOT NULL,"
	"  subject VARCHAR(64) NOT NULL,"
	"  at INTEGER NOT NULL"
	");"
	"CREATE INDEX rate_events_subject ON rate_events(kind, subject, at);"
	"CREATE INDEX rate_events_at ON rate_events(at);";

/* Related hosts and forwarding to other services: a queue row is claimed
 * by a worker (claimed_until, so several instances can share the queue),
 * family lets a newer address replace a queued older one, and each host
 * configuration keeps the result of its last forward for display. Service
 * names become unique: the CLI and the forms refer to services by name. */
static const char migration_3[] =
	"ALTER TABLE forward_queue ADD COLUMN family INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE forward_queue ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE service_updater_host_configs ADD COLUMN last_forward INTEGER;"
	"ALTER TABLE service_updater_host_configs ADD COLUMN last_http_status INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE service_updater_host_configs ADD COLUMN last_result VARCHAR(255) NOT NULL DEFAULT '';"
	"ALTER TABLE service_updater_host_configs ADD COLUMN last_state VARCHAR(16) NOT NULL DEFAULT '';"
	"ALTER TABLE service_updater_host_configs ADD COLUMN last_address VARCHAR(45) NOT NULL DEFAULT '';"
	"CREATE UNIQUE INDEX service_updaters_name ON service_updaters(name);"
	"CREATE INDEX forward_queue_config_family ON forward_queue(config_id, family);";

/* Maintenance jobs: mail that the SMTP server did not take is kept and
 * retried by the next run (next_attempt also works as the claim of the run
 * sending it). Standalone: a queued notice outlives its host or user. */
static const char migration_4[] =
	"CREATE TABLE mail_queue ("
	"  id INTEGER PRIMARY KEY,"
	"  rcpt VARCHAR(254) NOT NULL,"
	"  message TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt INTEGER NOT NULL,"
	"  last_error VARCHAR(255) NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL"
	");"
	"CREATE INDEX mail_queue_next ON mail_queue(next_attempt);";

/* Accounts: single-use, expiring tokens for e-mail activation and
 * password reset. Only a SHA-256 of the token is kept, so a copy of the
 * database does not let anyone activate or take over an account. */
static const char migration_5[] =
	"CREATE TABLE account_tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind VARCHAR(16) NOT NULL,"
	"  token_hash VARCHAR(64) NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL"
	");"
	"CREATE INDEX account_tokens_user ON account_tokens(user_id);"
	"CREATE INDEX account_tokens_expires ON account_tokens(expires);";

/* Web interface: IP detection tokens (spec 2.9). A page's hidden requests
 * to the single-stack hosts carry the token (never the session id); the
 * address they came from is kept on the token row, where the visitor's
 * own session picks it up. Rows live 60 s. */
static const char migration_6[] =
	"CREATE TABLE detectip_tokens ("
	"  token VARCHAR(64) PRIMARY KEY,"
	"  ipv4 VARCHAR(45) NOT NULL DEFAULT '',"
	"  ipv4_at INTEGER NOT NULL DEFAULT 0,"
	"  ipv6 VARCHAR(45) NOT NULL DEFAULT '',"
	"  ipv6_at INTEGER NOT NULL DEFAULT 0,"
	"  expires INTEGER NOT NULL"
	");"
	"CREATE INDEX detectip_tokens_expires ON detectip_tokens(expires);";

/* Remote login and two-factor login. A remote identity (provider and the
 * provider's stable subject id) belongs to one account; deleting the
 * account deletes it. The TOTP row exists only once enrolment was
 * confirmed; last_step is the newest time step a code was accepted for,
 * so a code cannot be used twice. Recovery codes are stored as SHA-256
 * hashes; used is the time one was used up (NULL = still valid). */
static const char migration_7[] =
	"CREATE TABLE remote_identities ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  provider VARCHAR(64) NOT NULL,"
	"  subject VARCHAR(255) NOT NULL,"
	"  email VARCHAR(254) NOT NULL DEFAULT '',"
	"  login VARCHAR(255) NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  last_login INTEGER,"
	"  UNIQUE (provider, subject)"
	");"
	"CREATE INDEX remote_identities_user ON remote_identities(user_id);"
	"CREATE TABLE user_totp ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,"
	"  secret VARCHAR(64) NOT NULL,"
	"  last_step INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE TABLE totp_recovery_codes ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  code_hash VARCHAR(64) NOT NULL,"
	"  used INTEGER"
	");"
	"CREATE INDEX totp_recovery_codes_user ON totp_recovery_codes(user_id);";

/* Administration pages: their host list pages through 100 000 hosts
 * sorted by name or creation time (and filtered by a creation period)
 * without sorting the whole table for every page. */
static const char migration_8[] =
	"CREATE INDEX hosts_name ON hosts(name);"
	"CREATE INDEX hosts_created ON hosts(created);"
	"CREATE INDEX users_created ON users(created);";

const struct store_migration store_sqlite_migrations[] = {
	{ 1, migration_1 },
	{ 2, migration_2 },
	{ 3, migration_3 },
	{ 4, migration_4 },
	{ 5, migration_5 },
	{ 6, migration_6 },
	{ 7, migration_7 },
	{ 8, migration_8 },
};

const int store_sqlite_migrations_count =
	(int)(sizeof(store_sqlite_migrations) / sizeof(store_sqlite_migrations[0]));
