/* PostgreSQL schema migrations: the same versions, tables, columns, defaults,
 * constraints and indexes as migrations_sqlite.c, in PostgreSQL's types:
 *   - ids are BIGSERIAL, foreign keys BIGINT;
 *   - times are BIGINT Unix seconds, NULL = never (the program passes them,
 *     the schema never calls a clock, so both backends hold the same values);
 *   - flags are BOOLEAN (SQLite's 0/1 INTEGER), read back as bool in C;
 *   - counters are BIGINT: they only ever grow.
 * Tables are created in the first schema of the search_path, so a test (or
 * an operator) can give each installation its own schema.
 * Never edit a released entry: append a new version, with the same number
 * as the SQLite migration it mirrors. */
#include "store/store_backend.h"

static const char migration_1[] =
	"CREATE TABLE users ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  username VARCHAR(150) NOT NULL UNIQUE,"
	"  email VARCHAR(254) NOT NULL DEFAULT '',"
	"  password_hash VARCHAR(255) NOT NULL DEFAULT '',"
	"  first_name VARCHAR(150) NOT NULL DEFAULT '',"
	"  last_name VARCHAR(150) NOT NULL DEFAULT '',"
	"  language VARCHAR(10) NOT NULL DEFAULT '',"
	"  staff BOOLEAN NOT NULL DEFAULT FALSE,"
	"  active BOOLEAN NOT NULL DEFAULT TRUE,"
	"  created BIGINT NOT NULL,"
	"  last_login BIGINT"
	");"

	"CREATE TABLE domains ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  name VARCHAR(255) NOT NULL UNIQUE,"
	"  nameserver VARCHAR(80) NOT NULL,"
	"  nameserver2 VARCHAR(80) NOT NULL DEFAULT '',"
	"  algorithm VARCHAR(16) NOT NULL DEFAULT 'hmac-sha512',"
	"  secret VARCHAR(128) NOT NULL DEFAULT '',"
	"  public BOOLEAN NOT NULL DEFAULT FALSE,"
	"  available BOOLEAN NOT NULL DEFAULT FALSE,"
	"  backoff_until BIGINT,"
	"  comment VARCHAR(255) NOT NULL DEFAULT '',"
	"  owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created BIGINT NOT NULL,"
	"  last_update BIGINT NOT NULL"
	");"
	"CREATE INDEX domains_owner ON domains(owner_id);"

	/* UNIQUE (domain_id, name) is also the index of the hot FQDN lookup. */
	"CREATE TABLE hosts ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  name VARCHAR(255) NOT NULL,"
	"  domain_id BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,"
	"  secret_hash VARCHAR(160) NOT NULL DEFAULT '',"
	"  comment VARCHAR(255) NOT NULL DEFAULT '',"
	"  available BOOLEAN NOT NULL DEFAULT TRUE,"
	"  abuse BOOLEAN NOT NULL DEFAULT FALSE,"
	"  abuse_blocked BOOLEAN NOT NULL DEFAULT FALSE,"
	"  netmask_ipv4 INTEGER NOT NULL DEFAULT 32,"
	"  netmask_ipv6 INTEGER NOT NULL DEFAULT 64,"
	"  client_faults BIGINT NOT NULL DEFAULT 0,"
	"  server_faults BIGINT NOT NULL DEFAULT 0,"
	"  api_auth_faults BIGINT NOT NULL DEFAULT 0,"
	"  client_result_msg VARCHAR(255) NOT NULL DEFAULT '',"
	"  server_result_msg VARCHAR(255) NOT NULL DEFAULT '',"
	"  api_auth_result_msg VARCHAR(255) NOT NULL DEFAULT '',"
	"  last_update_ipv4 BIGINT,"
	"  last_update_ipv6 BIGINT,"
	"  tls_update_ipv4 BOOLEAN NOT NULL DEFAULT FALSE,"
	"  tls_update_ipv6 BOOLEAN NOT NULL DEFAULT FALSE,"
	"  staleness BIGINT NOT NULL DEFAULT 0,"
	"  staleness_notification_timestamp BIGINT,"
	"  owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created BIGINT NOT NULL,"
	"  last_update BIGINT NOT NULL,"
	"  UNIQUE (domain_id, name)"
	");"
	"CREATE INDEX hosts_owner ON hosts(owner_id);"

	"CREATE TABLE related_hosts ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  name VARCHAR(255) NOT NULL,"
	"  comment VARCHAR(255) NOT NULL DEFAULT '',"
	"  interface_id_ipv4 VARCHAR(16) DEFAULT '',"
	"  interface_id_ipv6 VARCHAR(40) DEFAULT '',"
	"  available BOOLEAN NOT NULL DEFAULT TRUE,"
	"  main_host_id BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	"  created BIGINT NOT NULL,"
	"  last_update BIGINT NOT NULL,"
	"  UNIQUE (main_host_id, name)"
	");"

	"CREATE TABLE service_updaters ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  name VARCHAR(32) NOT NULL,"
	"  comment VARCHAR(255) NOT NULL DEFAULT '',"
	"  server VARCHAR(255) NOT NULL,"
	"  path VARCHAR(255) NOT NULL DEFAULT '/nic/update',"
	"  secure BOOLEAN NOT NULL DEFAULT TRUE,"
	"  accept_ipv4 BOOLEAN NOT NULL DEFAULT FALSE,"
	"  accept_ipv6 BOOLEAN NOT NULL DEFAULT FALSE,"
	"  owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created BIGINT NOT NULL,"
	"  last_update BIGINT NOT NULL"
	");"
	"CREATE INDEX service_updaters_owner ON service_updaters(owner_id);"

	"CREATE TABLE service_updater_host_configs ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  service_id BIGINT NOT NULL REFERENCES service_updaters(id) ON DELETE CASCADE,"
	"  hostname VARCHAR(255) DEFAULT '',"
	"  comment VARCHAR(255) NOT NULL DEFAULT '',"
	"  name VARCHAR(255) NOT NULL,"
	"  password VARCHAR(255) NOT NULL,"
	"  give_ipv4 BOOLEAN NOT NULL DEFAULT FALSE,"
	"  give_ipv6 BOOLEAN NOT NULL DEFAULT FALSE,"
	"  host_id BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	"  owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created BIGINT NOT NULL,"
	"  last_update BIGINT NOT NULL"
	");"
	"CREATE INDEX service_updater_host_configs_host ON service_updater_host_configs(host_id);"
	"CREATE INDEX service_updater_host_configs_service ON service_updater_host_configs(service_id);"
	"CREATE INDEX service_updater_host_configs_owner ON service_updater_host_configs(owner_id);"

	"CREATE TABLE blacklisted_hosts ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  name_re VARCHAR(255) NOT NULL UNIQUE,"
	"  owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  created BIGINT NOT NULL,"
	"  last_update BIGINT NOT NULL"
	");"
	"CREATE INDEX blacklisted_hosts_owner ON blacklisted_hosts(owner_id);"

	"CREATE TABLE sessions ("
	"  id VARCHAR(128) PRIMARY KEY,"
	"  user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,"
	"  data TEXT NOT NULL DEFAULT '',"
	"  created BIGINT NOT NULL,"
	"  expires BIGINT NOT NULL"
	");"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE INDEX sessions_expires ON sessions(expires);"

	"CREATE TABLE forward_queue ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  host_id BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,"
	"  config_id BIGINT NOT NULL REFERENCES service_updater_host_configs(id) ON DELETE CASCADE,"
	"  address VARCHAR(45) NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt BIGINT NOT NULL,"
	"  last_result VARCHAR(255) NOT NULL DEFAULT '',"
	"  created BIGINT NOT NULL"
	");"
	"CREATE INDEX forward_queue_host ON forward_queue(host_id);"
	"CREATE INDEX forward_queue_config ON forward_queue(config_id);"
	"CREATE INDEX forward_queue_next ON forward_queue(next_attempt);"

	"CREATE TABLE audit_log ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  at BIGINT NOT NULL,"
	"  user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,"
	"  actor VARCHAR(150) NOT NULL DEFAULT '',"
	"  action VARCHAR(64) NOT NULL,"
	"  object VARCHAR(255) NOT NULL DEFAULT '',"
	"  before_data TEXT,"
	"  after_data TEXT"
	");"
	"CREATE INDEX audit_log_user ON audit_log(user_id);"
	"CREATE INDEX audit_log_at ON audit_log(at);";

/* Mirrors SQLite's version 2: rate-limit events of the web interface. */
static const char migration_2[] =
	"CREATE TABLE rate_events ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  kind VARCHAR(16) NOT NULL,"
	"  subject VARCHAR(64) NOT NULL,"
	"  at BIGINT NOT NULL"
	");"
	"CREATE INDEX rate_events_subject ON rate_events(kind, subject, at);"
	"CREATE INDEX rate_events_at ON rate_events(at);";

/* Mirrors SQLite's version 3: related hosts and forwarding. */
static const char migration_3[] =
	"ALTER TABLE forward_queue ADD COLUMN family INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE forward_queue ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE service_updater_host_configs ADD COLUMN last_forward BIGINT;"
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
	"  id BIGSERIAL PRIMARY KEY,"
	"  rcpt VARCHAR(254) NOT NULL,"
	"  message TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt BIGINT NOT NULL,"
	"  last_error VARCHAR(255) NOT NULL DEFAULT '',"
	"  created BIGINT NOT NULL"
	");"
	"CREATE INDEX mail_queue_next ON mail_queue(next_attempt);";

/* Mirrors SQLite's version 5: account activation and password reset tokens. */
static const char migration_5[] =
	"CREATE TABLE account_tokens ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind VARCHAR(16) NOT NULL,"
	"  token_hash VARCHAR(64) NOT NULL UNIQUE,"
	"  created BIGINT NOT NULL,"
	"  expires BIGINT NOT NULL"
	");"
	"CREATE INDEX account_tokens_user ON account_tokens(user_id);"
	"CREATE INDEX account_tokens_expires ON account_tokens(expires);";

/* Mirrors SQLite's version 6: IP detection tokens. */
static const char migration_6[] =
	"CREATE TABLE detectip_tokens ("
	"  token VARCHAR(64) PRIMARY KEY,"
	"  ipv4 VARCHAR(45) NOT NULL DEFAULT '',"
	"  ipv4_at BIGINT NOT NULL DEFAULT 0,"
	"  ipv6 VARCHAR(45) NOT NULL DEFAULT '',"
	"  ipv6_at BIGINT NOT NULL DEFAULT 0,"
	"  expires BIGINT NOT NULL"
	");"
	"CREATE INDEX detectip_tokens_expires ON detectip_tokens(expires);";

/* Mirrors SQLite's version 7: remote identities, TOTP and recovery codes. */
static const char migration_7[] =
	"CREATE TABLE remote_identities ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  provider VARCHAR(64) NOT NULL,"
	"  subject VARCHAR(255) NOT NULL,"
	"  email VARCHAR(254) NOT NULL DEFAULT '',"
	"  login VARCHAR(255) NOT NULL DEFAULT '',"
	"  created BIGINT NOT NULL,"
	"  last_login BIGINT,"
	"  UNIQUE (provider, subject)"
	");"
	"CREATE INDEX remote_identities_user ON remote_identities(user_id);"
	"CREATE TABLE user_totp ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  user_id BIGINT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,"
	"  secret VARCHAR(64) NOT NULL,"
	"  last_step BIGINT NOT NULL DEFAULT 0,"
	"  created BIGINT NOT NULL"
	");"
	"CREATE TABLE totp_recovery_codes ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  code_hash VARCHAR(64) NOT NULL,"
	"  used BIGINT"
	");"
	"CREATE INDEX totp_recovery_codes_user ON totp_recovery_codes(user_id);";

/* Administration pages: their host list pages through 100 000 hosts
 * sorted by name or creation time (and filtered by a creation period)
 * without sorting the whole table for every page. */
static const char migration_8[] =
	"CREATE INDEX hosts_name ON hosts(name);"
	"CREATE INDEX hosts_created ON hosts(created);"
	"CREATE INDEX users_created ON users(created);";

const struct store_migration store_pg_migrations[] = {
	{ 1, migration_1 },
	{ 2, migration_2 },
	{ 3, migration_3 },
	{ 4, migration_4 },
	{ 5, migration_5 },
	{ 6, migration_6 },
	{ 7, migration_7 },
	{ 8, migration_8 },
};

const int store_pg_migrations_count =
	(int)(sizeof(store_pg_migrations) / sizeof(store_pg_migrations[0]));
