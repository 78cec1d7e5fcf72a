#include "front/http_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct client {
	CURL *h;
	struct curl_slist *resolve;
	struct reply *r;
	size_t n;
};

static size_t collect(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct client *c = ctx;
	size_t len = size * nmemb, room = sizeof c->r->body - 1 - c->n;

	memcpy(c->r->body + c->n, p, len < room ? len : room);
	c->n += len < room ? len : room;
	c->r->body[c->n] = 0;
	return len;
}

struct client *client_new(void)
{
	struct client *c = calloc(1, sizeof *c);

	if (c && !(c->h = curl_easy_init())) {
		free(c);
		return NULL;
	}
	return c;
}

void client_free(struct client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->h);
	curl_slist_free_all(c->resolve);
	free(c);
}

int client_get(struct client *c, bool tls, const char *host, int port, const char *path, const char *ca,
	       int timeout_ms, struct reply *r)
{
	char url[512], entry[300];
	CURLcode rc;

	memset(r, 0, sizeof *r);
	c->r = r;
	c->n = 0;
	snprintf(entry, sizeof entry, "%s:%d:127.0.0.1", host, port);
	curl_slist_free_all(c->resolve);
	c->resolve = curl_slist_append(NULL, entry);
	snprintf(url, sizeof url, "%s://%s:%d%s", tls ? "https" : "http", host, port, path);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_RESOLVE, c->resolve);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_PROXY, "");
	curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, ca ? 1L : 0L);
	curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, ca ? 2L : 0L);
	if (ca)
		curl_easy_setopt(c->h, CURLOPT_CAINFO, ca);
	rc = curl_easy_perform(c->h);
	if (rc != CURLE_OK) {
		snprintf(r->err, sizeof r->err, "%s", curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

int http_get_host(bool tls, const char *host, int port, const char *path, const char *ca, struct reply *r)
{
	struct client *c = client_new();
	int rc;

	if (!c)
		return -1;
	rc = client_get(c, tls, host, port, path, ca, 60000, r);
	client_free(c);
	return rc;
}
