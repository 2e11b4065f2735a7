#ifndef CCURL_H
#define CCURL_H
#include <curl/curl.h>

/* curl_easy_setopt / curl_easy_getinfo are C variadics, which Swift cannot call:
   one typed, non-variadic wrapper per argument kind. */
CURLcode ccurl_setopt_long(CURL *h, CURLoption opt, long value);
CURLcode ccurl_setopt_off_t(CURL *h, CURLoption opt, curl_off_t value);
CURLcode ccurl_setopt_ptr(CURL *h, CURLoption opt, const void *value);
CURLcode ccurl_setopt_string(CURL *h, CURLoption opt, const char *value);

typedef size_t (*ccurl_write_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*ccurl_xferinfo_cb)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                 curl_off_t ultotal, curl_off_t ulnow);
CURLcode ccurl_setopt_write_callback(CURL *h, ccurl_write_cb cb, void *userdata);
CURLcode ccurl_setopt_header_callback(CURL *h, ccurl_write_cb cb, void *userdata);
CURLcode ccurl_setopt_xferinfo_callback(CURL *h, ccurl_xferinfo_cb cb, void *clientp);

CURLcode ccurl_getinfo_long(CURL *h, CURLINFO info, long *out);
CURLcode ccurl_getinfo_double(CURL *h, CURLINFO info, double *out);
CURLcode ccurl_getinfo_ptr(CURL *h, CURLINFO info, void **out);
#endif
