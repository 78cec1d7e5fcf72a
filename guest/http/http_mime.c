#include "http_mime.h"
#include "http_mem.h"

struct mime {
	const char *ext;
	const char *type;
};

/* Text types carry charset=utf-8 so browsers do not guess an encoding. */
static const struct mime table[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "csv", "text/csv; charset=utf-8" },
	{ "xml", "application/xml" },
	{ "rss", "application/rss+xml" },
	{ "atom", "application/atom+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "svg", "image/svg+xml" },
	{ "ico", "image/x-icon" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "bmp", "image/bmp" },
	{ "pdf", "application/pdf" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "wasm", "application/wasm" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "wav", "audio/wav" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tar", "application/x-tar" },
};

const char *http_mime_type(const char *path, size_t n)
{
	size_t dot = n;

	/* Only the last path segment's extension counts. */
	for (size_t i = n; i > 0; i--) {
		if (path[i - 1] == '/')
			break;
		if (path[i - 1] == '.') {
			dot = i - 1;
			break;
		}
	}
	if (dot < n) {
		const char *e = path + dot + 1;
		size_t el = n - dot - 1;
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (hm_caseeq_lit(e, el, table[i].ext))
				return table[i].type;
	}
	return "application/octet-stream";
}
