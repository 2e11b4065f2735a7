#include "CCurl.h"

CURLcode ccurl_setopt_long(CURL *h, CURLoption opt, long v)           { return curl_easy_setopt(h, opt, v); }
CURLcode ccurl_setopt_off_t(CURL *h, CURLoption opt, curl_off_t v)    { return curl_easy_setopt(h, opt, v); }
CURLcode ccurl_setopt_ptr(CURL *h, CURLoption opt, const void *v)     { return curl_easy_setopt(h, opt, v); }
CURLcode ccurl_setopt_string(CURL *h, CURLoption opt, const char *v)  { return curl_easy_setopt(h, opt, v); }

CURLcode ccurl_setopt_write_callback(CURL *h, ccurl_write_cb cb, void *ud) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb);
    return rc != CURLE_OK ? rc : curl_easy_setopt(h, CURLOPT_WRITEDATA, ud);
}
CURLcode ccurl_setopt_header_callback(CURL *h, ccurl_write_cb cb, void *ud) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb);
    return rc != CURLE_OK ? rc : curl_easy_setopt(h, CURLOPT_HEADERDATA, ud);
}
CURLcode ccurl_setopt_xferinfo_callback(CURL *h, ccurl_xferinfo_cb cb, void *cp) {
    CURLcode rc = curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_XFERINFODATA, cp);
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    return rc;
}
CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *o)     { return curl_easy_getinfo(h, i, o); }
CURLcode ccurl_getinfo_double(CURL *h, CURLINFO i, double *o) { return curl_easy_getinfo(h, i, o); }
CURLcode ccurl_getinfo_ptr(CURL *h, CURLINFO i, void **o)     { return curl_easy_getinfo(h, i, o); }
