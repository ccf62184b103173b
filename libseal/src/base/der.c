/* DER writer and reader (X.690). Stamping builds CMS SignerInfo and GB/T 38540 seal
 * structures with the writer; verification walks stored seals, CMS blobs and certificates
 * with the reader, which hands back the exact stored bytes of each element so signatures
 * are checked over what was signed, never over a re-encoding. */
#include <seal/der.h>
#include <seal/error.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- writer */

/* The placeholder length byte written by seal_der_begin. 0x80 is the indefinite-length
 * marker, which DER never allows (X.690 10.1), so seal_der_end can tell an open element
 * from a mark that was never returned by seal_der_begin. */
#define OPEN_MARKER 0x80

/* Content longer than this would need more than 4 length bytes, which our reader (and
 * most others) refuse. */
#define MAX_CONTENT_LEN 0xffffffffu

static void latch(seal_der_writer *w, int rc)
{
    if (rc < 0 && w->error == 0)
        w->error = rc;
}

static void put(seal_der_writer *w, const void *data, size_t len)
{
    if (w->error == 0)
        latch(w, seal_buf_append(&w->out, data, len));
}

/* Length octets (X.690 8.1.3): short form below 128, else 0x80|n and n big-endian bytes,
 * with the fewest bytes (X.690 10.1). Returns the number of bytes written into out[5]. */
static size_t encode_length(size_t len, uint8_t out[5])
{
    if (len < 0x80) {
        out[0] = (uint8_t)len;
        return 1;
    }
    size_t n = 0;
    for (size_t v = len; v > 0; v >>= 8)
        n++;
    out[0] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++)
        out[n - i] = (uint8_t)(len >> (8 * i));
    return n + 1;
}

static void put_header(seal_der_writer *w, uint8_t tag, size_t len)
{
    if (w->error)
        return;
    if (len > MAX_CONTENT_LEN) {
        latch(w, seal_error_set(SEAL_EUNSUPPORTED,
                                "DER element of %zu bytes is too large (at most 4 GiB)", len));
        return;
    }
    uint8_t header[6];
    header[0] = tag;
    size_t n = encode_length(len, header + 1);
    put(w, header, n + 1);
}

size_t seal_der_begin(seal_der_writer *w, uint8_t tag)
{
    uint8_t header[2] = {tag, OPEN_MARKER};
    put(w, header, sizeof header);
    return w->error ? 0 : w->out.len;
}

void seal_der_end(seal_der_writer *w, size_t mark)
{
    if (w->error)
        return;
    if (mark < 2 || mark > w->out.len || w->out.data[mark - 1] != OPEN_MARKER) {
        latch(w, seal_error_set(SEAL_EINVAL,
                                "DER writer: element closed that was not opened (bad mark)"));
        return;
    }
    size_t content_len = w->out.len - mark;
    if (content_len > MAX_CONTENT_LEN) {
        latch(w,
              seal_error_set(SEAL_EUNSUPPORTED,
                             "DER element of %zu bytes is too large (at most 4 GiB)", content_len));
        return;
    }
    uint8_t length[5];
    size_t n = encode_length(content_len, length);
    if (n > 1) {
        /* Long form: open a gap of n - 1 bytes after the placeholder for the rest. */
        int rc = seal_buf_reserve(&w->out, n - 1 + 1);
        if (rc < 0) {
            latch(w, rc);
            return;
        }
        memmove(w->out.data + mark + n - 1, w->out.data + mark, content_len);
        w->out.len += n - 1;
        w->out.data[w->out.len] = 0;
    }
    memcpy(w->out.data + mark - 1, length, n);
}

void seal_der_raw(seal_der_writer *w, const void *der, size_t len)
{
    put(w, der, len);
}

void seal_der_tlv(seal_der_writer *w, uint8_t tag, const void *content, size_t len)
{
    put_header(w, tag, len);
    if (len)
        put(w, content, len);
}

void seal_der_int(seal_der_writer *w, long value)
{
    /* Two's complement, big-endian, in the fewest octets (X.690 8.3.2): drop a leading
     * 0x00 or 0xff while the next octet carries the same sign. */
    uint8_t bytes[sizeof(long)];
    unsigned long u = (unsigned long)value;
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[sizeof bytes - 1 - i] = (uint8_t)(u >> (8 * i));
    size_t start = 0;
    while (start + 1 < sizeof bytes && ((bytes[start] == 0x00 && !(bytes[start + 1] & 0x80)) ||
                                        (bytes[start] == 0xff && (bytes[start + 1] & 0x80))))
        start++;
    seal_der_tlv(w, SEAL_DER_INTEGER, bytes + start, sizeof bytes - start);
}

void seal_der_uint_bytes(seal_der_writer *w, const uint8_t *bigendian, size_t len)
{
    while (len > 0 && bigendian[0] == 0) {
        bigendian++;
        len--;
    }
    if (len == 0) {
        seal_der_int(w, 0);
        return;
    }
    /* A set high bit would read as negative (X.690 8.3.3), so prefix a zero octet. */
    bool pad = bigendian[0] & 0x80;
    if (pad && len == SIZE_MAX) {
        latch(w, seal_error_set(SEAL_EUNSUPPORTED, "DER INTEGER too large"));
        return;
    }
    put_header(w, SEAL_DER_INTEGER, len + pad);
    if (pad)
        put(w, "", 1);
    put(w, bigendian, len);
}

/* Appends one subidentifier in base 128, high groups first, bit 8 set on all but the last
 * octet (X.690 8.19.2). */
static void put_base128(seal_buf *b, uint64_t v, int *rc)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)(v & 0x7f);
        v >>= 7;
    } while (v > 0);
    while (n > 0 && *rc == 0) {
        n--;
        *rc = seal_buf_append_byte(b, (uint8_t)(tmp[n] | (n > 0 ? 0x80 : 0)));
    }
}

/* Parses one decimal arc at *p; false when it is empty, not digits or too large. */
static bool parse_arc(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        s++;
    }
    *out = v;
    *p = s;
    return true;
}

void seal_der_oid(seal_der_writer *w, const char *dotted)
{
    if (w->error)
        return;
    int rc = 0;
    seal_buf content = SEAL_BUF_INIT;
    const char *p = dotted ? dotted : "";
    uint64_t first = 0, second = 0;
    /* X.690 8.19.4: the first two arcs share one subidentifier, 40 * first + second, where
     * first is 0, 1 or 2 and second is below 40 unless first is 2. */
    if (!parse_arc(&p, &first) || *p++ != '.' || !parse_arc(&p, &second) || first > 2 ||
        (first < 2 && second >= 40) || second > UINT64_MAX - 80)
        goto bad;
    put_base128(&content, first * 40 + second, &rc);
    while (*p == '.') {
        p++;
        uint64_t arc;
        if (!parse_arc(&p, &arc))
            goto bad;
        put_base128(&content, arc, &rc);
    }
    if (*p != '\0')
        goto bad;
    if (rc < 0)
        latch(w, rc);
    else
        seal_der_tlv(w, SEAL_DER_OID, content.data, content.len);
    seal_buf_clear(&content);
    return;
bad:
    seal_buf_clear(&content);
    latch(w, seal_error_set(SEAL_EINVAL,
                            "\"%.80s\" is not an object identifier (dotted numbers like "
                            "1.2.156.10197.1.501, first arc 0-2)",
                            dotted ? dotted : ""));
}

void seal_der_null(seal_der_writer *w)
{
    seal_der_tlv(w, SEAL_DER_NULL, NULL, 0);
}

void seal_der_bool(seal_der_writer *w, int value)
{
    /* X.690 11.1: DER encodes TRUE as 0xff. */
    uint8_t v = value ? 0xff : 0x00;
    seal_der_tlv(w, SEAL_DER_BOOLEAN, &v, 1);
}

void seal_der_bit_string(seal_der_writer *w, const void *bytes, size_t len)
{
    if (len > MAX_CONTENT_LEN - 1) {
        latch(w, seal_error_set(SEAL_EUNSUPPORTED, "DER BIT STRING too large"));
        return;
    }
    /* X.690 8.6.2: the first content octet counts the unused bits of the last octet. */
    put_header(w, SEAL_DER_BIT_STRING, len + 1);
    put(w, "", 1);
    if (len)
        put(w, bytes, len);
}

void seal_der_octet_string(seal_der_writer *w, const void *bytes, size_t len)
{
    seal_der_tlv(w, SEAL_DER_OCTET_STRING, bytes, len);
}

void seal_der_string(seal_der_writer *w, uint8_t tag, const char *s)
{
    seal_der_tlv(w, tag, s, s ? strlen(s) : 0);
}

void seal_der_generalized_time(seal_der_writer *w, time_t t)
{
    if (w->error)
        return;
    /* X.690 11.7: DER GeneralizedTime is UTC with a final Z and no fraction when the
     * seconds are whole. */
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        latch(w, seal_error_set(SEAL_EINVAL, "time %lld cannot be written as GeneralizedTime",
                                (long long)t));
        return;
    }
    char text[32];
    int n = snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    seal_der_tlv(w, SEAL_DER_GENERALIZED_TIME, text, (size_t)n);
}

int seal_der_finish(seal_der_writer *w, seal_buf *out)
{
    int rc = w->error;
    if (rc == 0) {
        seal_buf_clear(out);
        *out = w->out;
    } else {
        seal_buf_clear(&w->out);
    }
    w->out = (seal_buf)SEAL_BUF_INIT;
    w->error = 0;
    return rc;
}

/* ---------------------------------------------------------------- reader */

static const char *what_or_default(const char *what)
{
    return what ? what : "DER data";
}

static const char *tag_name(uint8_t tag)
{
    switch (tag) {
    case SEAL_DER_BOOLEAN:
        return "BOOLEAN";
    case SEAL_DER_INTEGER:
        return "INTEGER";
    case SEAL_DER_BIT_STRING:
        return "BIT STRING";
    case SEAL_DER_OCTET_STRING:
        return "OCTET STRING";
    case SEAL_DER_NULL:
        return "NULL";
    case SEAL_DER_OID:
        return "OBJECT IDENTIFIER";
    case SEAL_DER_UTF8_STRING:
        return "UTF8String";
    case SEAL_DER_PRINTABLE_STRING:
        return "PrintableString";
    case SEAL_DER_IA5_STRING:
        return "IA5String";
    case SEAL_DER_UTC_TIME:
        return "UTCTime";
    case SEAL_DER_GENERALIZED_TIME:
        return "GeneralizedTime";
    case SEAL_DER_SEQUENCE:
        return "SEQUENCE";
    case SEAL_DER_SET:
        return "SET";
    default:
        return (tag & 0xc0) == SEAL_DER_CONTEXT ? "context-tagged element" : "element";
    }
}

int seal_der_next(seal_slice *cur, seal_der_elem *out, const char *what)
{
    what = what_or_default(what);
    seal_slice s = *cur;
    uint8_t tag, first;
    if (!seal_slice_byte(&s, &tag))
        return seal_error_set(SEAL_EFORMAT, "%s: ends where another element was expected", what);
    /* X.690 8.1.2.4: tag numbers of 31 and above continue in further octets; nothing we
     * read uses them. */
    if ((tag & 0x1f) == 0x1f)
        return seal_error_set(SEAL_EFORMAT,
                              "%s: tag 0x%02x uses the high tag number form, which is not "
                              "supported",
                              what, tag);
    if (!seal_slice_byte(&s, &first))
        return seal_error_set(SEAL_EFORMAT, "%s: ends inside the header of %s (tag 0x%02x)", what,
                              tag_name(tag), tag);
    size_t len;
    if (first < 0x80) {
        len = first;
    } else if (first == 0x80) {
        /* X.690 10.1: DER requires the definite form. */
        return seal_error_set(SEAL_EFORMAT,
                              "%s: %s (tag 0x%02x) uses an indefinite length, which DER does "
                              "not allow",
                              what, tag_name(tag), tag);
    } else {
        size_t n = first & 0x7f;
        if (n > 4)
            return seal_error_set(SEAL_EFORMAT,
                                  "%s: %s (tag 0x%02x) has a length of %zu bytes (at most 4 are "
                                  "supported)",
                                  what, tag_name(tag), tag, n);
        seal_slice bytes;
        if (!seal_slice_take(&s, n, &bytes))
            return seal_error_set(SEAL_EFORMAT, "%s: ends inside the length of %s (tag 0x%02x)",
                                  what, tag_name(tag), tag);
        /* Non-minimal lengths (X.690 10.1) are accepted: real files have them, and the
         * stored bytes are what signatures cover, so nothing depends on re-encoding. */
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = len << 8 | bytes.data[i];
    }
    if (len > s.len)
        return seal_error_set(SEAL_EFORMAT, "%s: length %zu exceeds the %zu bytes left", what, len,
                              s.len);
    size_t header_len = (size_t)(s.data - cur->data);
    out->tag = tag;
    out->content = seal_slice_of(s.data, len);
    out->whole = seal_slice_of(cur->data, header_len + len);
    seal_slice_take(cur, header_len + len, NULL);
    return 0;
}

int seal_der_count(seal_slice cur, size_t *count, const char *what)
{
    seal_der_elem e;
    *count = 0;
    while (cur.len > 0) {
        int rc = seal_der_next(&cur, &e, what);
        if (rc < 0)
            return rc;
        (*count)++;
    }
    return 0;
}

int seal_der_expect(seal_slice *cur, uint8_t tag, seal_der_elem *out, const char *what)
{
    seal_slice s = *cur;
    seal_der_elem e;
    int rc = seal_der_next(&s, &e, what);
    if (rc < 0)
        return rc;
    if (e.tag != tag)
        return seal_error_set(SEAL_EFORMAT,
                              "%s: expected %s (tag 0x%02x) but found %s (tag "
                              "0x%02x)",
                              what_or_default(what), tag_name(tag), tag, tag_name(e.tag), e.tag);
    *cur = s;
    *out = e;
    return 0;
}

bool seal_der_peek(const seal_slice *cur, uint8_t tag)
{
    return cur->len > 0 && cur->data[0] == tag;
}

/* The typed readers accept their universal tag or any context/application tag, since
 * implicitly tagged fields ([0] IMPLICIT INTEGER...) keep the content encoding. */
static int check_tag(const seal_der_elem *e, uint8_t tag, const char *what)
{
    if (e->tag == tag || (e->tag & 0xc0) != 0)
        return 0;
    return seal_error_set(SEAL_EFORMAT, "%s: expected %s but found %s (tag 0x%02x)", what,
                          tag_name(tag), tag_name(e->tag), e->tag);
}

int seal_der_read_int(const seal_der_elem *e, long *out, const char *what)
{
    what = what_or_default(what);
    int rc = check_tag(e, SEAL_DER_INTEGER, what);
    if (rc < 0)
        return rc;
    seal_slice c = e->content;
    if (c.len == 0) /* X.690 8.3.1 */
        return seal_error_set(SEAL_EFORMAT, "%s: INTEGER has no content octets", what);
    bool negative = c.data[0] & 0x80;
    /* Skip redundant sign octets so a (non-DER) padded small number still reads. */
    while (c.len > 1 && ((c.data[0] == 0x00 && !(c.data[1] & 0x80)) ||
                         (c.data[0] == 0xff && (c.data[1] & 0x80))))
        seal_slice_take(&c, 1, NULL);
    if (c.len > sizeof(long))
        return seal_error_set(SEAL_EFORMAT, "%s: INTEGER of %zu bytes is too large", what, c.len);
    unsigned long v = negative ? ULONG_MAX : 0;
    for (size_t i = 0; i < c.len; i++)
        v = v << 8 | c.data[i];
    *out = (long)v;
    return 0;
}

int seal_der_read_oid(const seal_der_elem *e, char *out, size_t out_len, const char *what)
{
    what = what_or_default(what);
    int rc = check_tag(e, SEAL_DER_OID, what);
    if (rc < 0)
        return rc;
    if (!out || out_len == 0)
        return seal_error_set(SEAL_EINVAL, "%s: no room for the object identifier text", what);
    seal_slice c = e->content;
    if (c.len == 0)
        return seal_error_set(SEAL_EFORMAT, "%s: OBJECT IDENTIFIER is empty", what);
    size_t used = 0;
    bool first_arc = true;
    while (c.len > 0) {
        uint64_t v = 0;
        uint8_t b;
        /* X.690 8.19.2: a subidentifier never starts with 0x80 (that would be a
         * non-minimal encoding of the same number). */
        if (c.data[0] == 0x80)
            return seal_error_set(SEAL_EFORMAT, "%s: OBJECT IDENTIFIER has a padded arc", what);
        do {
            if (!seal_slice_byte(&c, &b))
                return seal_error_set(SEAL_EFORMAT, "%s: OBJECT IDENTIFIER ends inside an arc",
                                      what);
            if (v > UINT64_MAX >> 7)
                return seal_error_set(SEAL_EFORMAT, "%s: OBJECT IDENTIFIER arc is too large", what);
            v = v << 7 | (b & 0x7f);
        } while (b & 0x80);
        int n;
        if (first_arc) {
            /* X.690 8.19.4: the first subidentifier is 40 * first + second. */
            unsigned top = v < 40 ? 0 : v < 80 ? 1 : 2;
            n = snprintf(out + used, out_len - used, "%u.%llu", top,
                         (unsigned long long)(v - 40 * top));
            first_arc = false;
        } else {
            n = snprintf(out + used, out_len - used, ".%llu", (unsigned long long)v);
        }
        if (n < 0 || (size_t)n >= out_len - used) {
            out[0] = '\0';
            return seal_error_set(SEAL_EFORMAT,
                                  "%s: OBJECT IDENTIFIER is longer than %zu characters", what,
                                  out_len - 1);
        }
        used += (size_t)n;
    }
    return 0;
}

static bool read_digits(seal_slice *s, size_t n, int *out)
{
    seal_slice d;
    if (!seal_slice_take(s, n, &d))
        return false;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (d.data[i] < '0' || d.data[i] > '9')
            return false;
        v = v * 10 + (d.data[i] - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

int seal_der_read_time(const seal_der_elem *e, time_t *out, const char *what)
{
    what = what_or_default(what);
    bool utc = e->tag == SEAL_DER_UTC_TIME;
    if (!utc && e->tag != SEAL_DER_GENERALIZED_TIME)
        return seal_error_set(SEAL_EFORMAT, "%s: expected a time but found %s (tag 0x%02x)", what,
                              tag_name(e->tag), e->tag);
    const char *kind = utc ? "UTCTime" : "GeneralizedTime";
    seal_slice s = e->content;
    int year, month, day, hour, minute, second;
    if (utc) {
        /* RFC 5280 4.1.2.5.1: YY of 50-99 means 19YY, 00-49 means 20YY. */
        if (!read_digits(&s, 2, &year))
            goto bad;
        year += year >= 50 ? 1900 : 2000;
    } else if (!read_digits(&s, 4, &year)) {
        goto bad;
    }
    if (!read_digits(&s, 2, &month) || !read_digits(&s, 2, &day) || !read_digits(&s, 2, &hour) ||
        !read_digits(&s, 2, &minute) || !read_digits(&s, 2, &second))
        goto bad;
    /* GeneralizedTime may carry fractional seconds (X.690 11.7.3); we keep whole seconds. */
    if (!utc && s.len > 0 && (s.data[0] == '.' || s.data[0] == ',')) {
        seal_slice_take(&s, 1, NULL);
        if (s.len == 0 || s.data[0] < '0' || s.data[0] > '9')
            goto bad;
        while (s.len > 0 && s.data[0] >= '0' && s.data[0] <= '9')
            seal_slice_take(&s, 1, NULL);
    }
    /* DER requires the final Z (X.690 11.7.1, 11.8.1); some producers omit it and mean
     * UTC, so a missing Z is read as UTC. */
    if (s.len > 0 && s.data[0] == 'Z')
        seal_slice_take(&s, 1, NULL);
    else if (s.len > 0 && (s.data[0] == '+' || s.data[0] == '-'))
        return seal_error_set(
            SEAL_EFORMAT, "%s: %s has a time zone offset; only UTC (Z) is supported", what, kind);
    if (s.len != 0)
        goto bad;
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 60)
        return seal_error_set(SEAL_EFORMAT, "%s: %s is not a real date and time", what, kind);
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    *out = timegm(&tm);
    return 0;
bad:
    return seal_error_set(SEAL_EFORMAT, "%s: %s is not in the form %s", what, kind,
                          utc ? "YYMMDDhhmmssZ" : "YYYYMMDDhhmmss[.fff]Z");
}

int seal_der_read_bits(const seal_der_elem *e, seal_slice *out, const char *what)
{
    what = what_or_default(what);
    int rc = check_tag(e, SEAL_DER_BIT_STRING, what);
    if (rc < 0)
        return rc;
    if (e->content.len == 0) /* X.690 8.6.2: the unused-bits octet is always present */
        return seal_error_set(SEAL_EFORMAT, "%s: BIT STRING has no content octets", what);
    if (e->content.data[0] != 0)
        return seal_error_set(SEAL_EFORMAT,
                              "%s: BIT STRING has %u unused bits; whole bytes were expected", what,
                              e->content.data[0]);
    *out = seal_slice_of(e->content.data + 1, e->content.len - 1);
    return 0;
}
