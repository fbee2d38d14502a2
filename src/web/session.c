/* Web sessions in the database.
 *
 * The cookie carries 32 random bytes (base64url, 43 characters); the
 * database row is keyed by the BLAKE2b-256 hex of that value, so reading
 * the sessions table gives no usable cookie. The data column is a JSON
 * object; the framework keeps "csrf" (the per-session CSRF token), "uid"
 * mirrors the row's user, "keep" marks a long-lived login and "messages"
 * holds flash messages. A row is written only when the data or the expiry
 * changed, and the expiry slides forward once half of it has passed. */
#include <string.h>

#include <sodium.h>

#include "util/log.h"
#include "web/web_internal.h"

#define ID_BYTES 32
#define ID_CHARS 43               /* base64url of 32 bytes, no padding */

struct web_session {
	bool exists;                  /* a row in the database */
	bool is_new;                  /* created during this request: set the cookie */
	bool deleted;                 /* logged out: clear the cookie */
	char cookie[ID_CHARS + 1];
	char key[STORE_SESSION_KEY_MAX];
	int64_t user_id;
	int64_t expires;
	bool keep;
	json_t *data;
	char *saved;                  /* data as stored, to see changes */
};

static void random_token(char *out, size_t outsize)
{
	unsigned char raw[ID_BYTES];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, outsize, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

static void hash_key(const char *cookie, char key[STORE_SESSION_KEY_MAX])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)cookie, strlen(cookie), NULL, 0);
	sodium_bin2hex(key, STORE_SESSION_KEY_MAX, h, sizeof(h));
}

static bool cookie_well_formed(const char *v)
{
	if (v == NULL || strlen(v) != ID_CHARS)
		return false;
	for (const char *p = v; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static web_session *new_session(web_req *r)
{
	web_session *s = arena_alloc(r->a, sizeof(*s));
	if (s != NULL)
		r->sess = s;
	return s;
}

void web_session_load(web_req *r)
{
	r->sess = NULL;
	const char *cookie = http_cookie(r->http, WEB_SESSION_COOKIE);
	if (!cookie_well_formed(cookie))
		return;
	char key[STORE_SESSION_KEY_MAX];
	hash_key(cookie, key);
	store_session *row = arena_alloc(r->a, sizeof(*row));
	if (row == NULL)
		return;
	nsupd_err e = store_session_get(r->app->store, key, r->now, row);
	if (e != NSUPD_OK) {
		if (e != NSUPD_ERR_NOT_FOUND)
			log_error("web: loading a session: %s", nsupd_strerror(e));
		return;
	}
	json_t *data = json_loads(row->data, 0, NULL);
	if (!json_is_object(data)) {
		json_decref(data);
		data = json_object();
		if (data == NULL)
			return;
	}
	web_session *s = new_session(r);
	if (s == NULL) {
		json_decref(data);
		return;
	}
	s->exists = true;
	memcpy(s->cookie, cookie, ID_CHARS + 1);
	memcpy(s->key, key, sizeof(key));
	s->user_id = row->user_id;
	s->expires = row->expires;
	s->keep = json_is_true(json_object_get(data, "keep"));
	s->data = data;
	char *text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	s->saved = text != NULL ? arena_strdup(r->a, text) : NULL;
	free(text);
}

int64_t web_session_user(const web_req *r)
{
	return r->sess != NULL && !r->sess->deleted ? r->sess->user_id : 0;
}

static int64_t age_of(const web_session *s)
{
	return s->keep ? WEB_SESSION_KEEP_AGE : WEB_SESSION_AGE;
}

/* Inserts a fresh row for s (new random id, new CSRF token unless data
 * already has one). */
static bool insert_session(web_req *r, web_session *s)
{
	if (s->data == NULL && (s->data = json_object()) == NULL)
		return false;
	char csrf[ID_CHARS + 1];
	random_token(csrf, sizeof(csrf));
	json_object_set_new(s->data, "csrf", json_string(csrf));
	if (s->keep)
		json_object_set_new(s->data, "keep", json_true());
	else
		json_object_del(s->data, "keep");
	if (s->user_id != 0)
		json_object_set_new(s->data, "uid", json_integer(s->user_id));
	else
		json_object_del(s->data, "uid");
	char *text = json_dumps(s->data, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL)
		return false;
	store_session *row = arena_alloc(r->a, sizeof(*row));
	if (row == NULL || strlen(text) >= sizeof(row->data)) {
		free(text);
		return false;
	}
	strcpy(row->data, text);
	s->saved = arena_strdup(r->a, text);
	free(text);
	row->user_id = s->user_id;
	row->created = r->now;
	s->expires = r->now + age_of(s);
	row->expires = s->expires;
	/* A clash of 256-bit random ids does not happen; one retry covers
	 * a broken random source being noticed. */
	for (int attempt = 0; attempt < 2; attempt++) {
		random_token(s->cookie, sizeof(s->cookie));
		hash_key(s->cookie, s->key);
		memcpy(row->key, s->key, sizeof(row->key));
		nsupd_err e = store_session_create(r->app->store, row);
		if (e == NSUPD_OK) {
			s->exists = true;
			s->is_new = true;
			s->deleted = false;
			return true;
		}
		if (e != NSUPD_ERR_EXISTS) {
			log_error("web: creating a session: %s", nsupd_strerror(e));
			return false;
		}
	}
	return false;
}

bool web_session_ensure(web_req *r)
{
	if (r->sess != NULL && r->sess->exists && !r->sess->deleted)
		return true;
	web_session *s = r->sess != NULL ? r->sess : new_session(r);
	if (s == NULL)
		return false;
	s->user_id = 0;
	s->keep = false;
	return insert_session(r, s);
}

json_t *web_session_data(web_req *r)
{
	if (!web_session_ensure(r))
		return NULL;
	return r->sess->data;
}

void web_session_touch(web_req *r)
{
	/* Changes are found by comparing the serialised data at the end. */
	(void)r;
}

const char *web_session_csrf(web_req *r)
{
	if (r->sess == NULL || !r->sess->exists || r->sess->deleted)
		return NULL;
	return json_string_value(json_object_get(r->sess->data, "csrf"));
}

bool web_session_csrf_ok(web_req *r, const char *token)
{
	const char *want = web_session_csrf(r);
	if (want == NULL || token == NULL)
		return false;
	size_t n = strlen(want);
	if (strlen(token) != n || n == 0)
		return false;
	return sodium_memcmp(want, token, n) == 0;
}

nsupd_err web_login(web_req *r, const store_user *u, bool keep)
{
	web_session *s = r->sess;
	if (s != NULL && s->exists && !s->deleted) {
		/* A new id at login: an id planted before login is worthless. */
		store_session_delete(r->app->store, s->key);
		s->exists = false;
	}
	if (s == NULL && (s = new_session(r)) == NULL)
		return NSUPD_ERR_NOMEM;
	if (s->data != NULL)
		json_object_del(s->data, "messages");
	s->user_id = u->id;
	s->keep = keep;
	if (!insert_session(r, s))
		return NSUPD_ERR_DB;
	r->logged_in = true;
	r->user = *u;
	return NSUPD_OK;
}

void web_logout(web_req *r)
{
	web_session *s = r->sess;
	if (s != NULL && s->exists) {
		nsupd_err e = store_session_delete(r->app->store, s->key);
		if (e != NSUPD_OK && e != NSUPD_ERR_NOT_FOUND)
			log_error("web: deleting a session: %s", nsupd_strerror(e));
		s->exists = false;
		s->deleted = true;
	} else if (http_cookie(r->http, WEB_SESSION_COOKIE) != NULL) {
		if (s == NULL)
			s = new_session(r);
		if (s != NULL)
			s->deleted = true;
	}
	r->logged_in = false;
	memset(&r->user, 0, sizeof(r->user));
}

void web_session_finish(web_req *r)
{
	web_session *s = r->sess;
	if (s == NULL)
		return;
	if (s->deleted && !s->exists) {
		http_set_cookie(r->http, r->res, WEB_SESSION_COOKIE, "", 0);
	} else if (s->exists) {
		char *text = json_dumps(s->data, JSON_COMPACT | JSON_SORT_KEYS);
		bool changed = text != NULL && (s->saved == NULL || strcmp(text, s->saved) != 0);
		bool extend = s->expires - r->now < age_of(s) / 2;
		if (text != NULL && (changed || extend)) {
			if (strlen(text) >= STORE_SESSION_DATA_MAX) {
				log_warn("web: session data too large (%zu bytes), not saved", strlen(text));
			} else {
				int64_t expires = extend ? r->now + age_of(s) : s->expires;
				nsupd_err e = store_session_save(r->app->store, s->key, s->user_id, text,
								 expires);
				if (e == NSUPD_OK)
					s->expires = expires;
				else
					log_error("web: saving a session: %s", nsupd_strerror(e));
			}
		}
		free(text);
		/* "Keep me logged in" is a persistent cookie, refreshed with the
		 * expiry; otherwise the cookie ends with the browser session. */
		if (s->is_new || (extend && s->keep))
			http_set_cookie(r->http, r->res, WEB_SESSION_COOKIE, s->cookie,
					s->keep ? (long)(s->expires - r->now) : -1);
	}
	json_decref(s->data);
	s->data = NULL;
}
