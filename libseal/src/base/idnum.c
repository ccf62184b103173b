/* Check characters of the identity numbers administrators type in when they register an
 * institution (unified social credit code, GB 32100-2015) or a seal keeper (resident
 * identity number, GB 11643-1999) and a mobile number, so a typo is refused before it reaches a
 * seal. Messages name the problem and never repeat the number, which is personal data. */
#include <seal/error.h>
#include <seal/idnum.h>

#include <glib.h>

#include <stdbool.h>
#include <string.h>
#include <time.h>

#define ID_LEN 18

/* ---------------------------------------------------------------- GB 32100-2015 */

/* GB 32100-2015 4.2: 31 characters, the digits and the capital letters without I, O, Z,
 * S and V; a character's value is its index here. */
static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* GB 32100-2015 Appendix B: weight of position i is 3^(i-1) mod 31. */
static const int credit_weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                       29, 25, 13, 8,  24, 10, 30, 28};

static int credit_value(char c)
{
    const char *p = c ? strchr(credit_alphabet, c) : NULL;
    return p ? (int)(p - credit_alphabet) : -1;
}

int seal_credit_code_check(const char *code)
{
    if (!code || !*code)
        return seal_error_set(SEAL_EINVAL, "no unified social credit code was given");
    size_t len = strlen(code);
    if (len != ID_LEN)
        return seal_error_set(SEAL_EINVAL,
                              "unified social credit code has wrong length %zu; it must have "
                              "18 characters",
                              len);
    int sum = 0;
    for (size_t i = 0; i < ID_LEN; i++) {
        int v = credit_value(code[i]);
        if (v < 0) {
            bool lower =
                code[i] >= 'a' && code[i] <= 'z' && credit_value((char)(code[i] - 32)) >= 0;
            return seal_error_set(SEAL_EINVAL,
                                  "unified social credit code: character at position %zu is not "
                                  "allowed (%s)",
                                  i + 1,
                                  lower ? "letters must be upper-case"
                                        : "only digits and the letters A-Y except I, O, S, V "
                                          "are used");
        }
        if (i < 17)
            sum += v * credit_weights[i];
    }
    /* GB 32100-2015 Appendix B: C18 = 31 - (sum mod 31), with 31 written as 0. */
    int check = (31 - sum % 31) % 31;
    if (code[17] != credit_alphabet[check])
        return seal_error_set(SEAL_EINVAL,
                              "unified social credit code: check character does not match the "
                              "first 17 characters (a character was probably mistyped)");
    return 0;
}

/* ---------------------------------------------------------------- GB 11643-1999 */

/* GB 11643-1999 7.2 (ISO 7064 MOD 11-2): weight of position i is 2^(18-i) mod 11, and
 * the check character is chosen so the weighted sum including it is 1 mod 11. */
static const int resident_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char resident_check[] = "10X98765432";

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int two_digits(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* GB 11643-1999 5.1: the first two digits are the province-level code of GB/T 2260; 83
 * is used by residence permits of Taiwan residents and 9 leads the permanent residence
 * ID numbers of foreigners, which follow the same layout. */
static bool region_known(const char *id)
{
    static const int provinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                    35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};
    int p = two_digits(id);
    if (p >= 90)
        return true;
    for (size_t i = 0; i < sizeof provinces / sizeof provinces[0]; i++)
        if (provinces[i] == p)
            return true;
    return false;
}

static bool birth_date_real(const char *id)
{
    int year = two_digits(id + 6) * 100 + two_digits(id + 8);
    int month = two_digits(id + 10);
    int day = two_digits(id + 12);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1900 || month < 1 || month > 12 || day < 1)
        return false;
    if (day > (month == 2 && leap ? 29 : days[month - 1]))
        return false;
    /* Not born in the future (local date: the numbers are issued in China time). */
    time_t now = time(NULL);
    struct tm today;
    if (!localtime_r(&now, &today))
        return false;
    long birth = (long)year * 10000 + month * 100 + day;
    long now_date = (long)(today.tm_year + 1900) * 10000 + (today.tm_mon + 1) * 100 + today.tm_mday;
    return birth <= now_date;
}

int seal_resident_id_check(const char *id)
{
    if (!id || !*id)
        return seal_error_set(SEAL_EINVAL, "no resident identity number was given");
    size_t len = strlen(id);
    if (len != ID_LEN)
        return seal_error_set(SEAL_EINVAL,
                              "resident identity number has wrong length %zu; it must have 18 "
                              "characters",
                              len);
    int sum = 0;
    for (size_t i = 0; i < 17; i++) {
        if (!is_digit(id[i]))
            return seal_error_set(SEAL_EINVAL,
                                  "resident identity number: character at position %zu is not "
                                  "allowed (the first 17 must be digits)",
                                  i + 1);
        sum += (id[i] - '0') * resident_weights[i];
    }
    char last = id[17] == 'x' ? 'X' : id[17];
    if (!is_digit(last) && last != 'X')
        return seal_error_set(SEAL_EINVAL,
                              "resident identity number: character at position 18 is not "
                              "allowed (it must be a digit or X)");
    if (!region_known(id))
        return seal_error_set(SEAL_EINVAL, "resident identity number: the region code (first 6 "
                                           "digits) does not name a province");
    if (!birth_date_real(id))
        return seal_error_set(SEAL_EINVAL,
                              "resident identity number: birth date (digits 7-14) is not a real "
                              "date between 1900 and today");
    if (last != resident_check[sum % 11])
        return seal_error_set(SEAL_EINVAL,
                              "resident identity number: check character does not match the "
                              "first 17 digits (a digit was probably mistyped)");
    return 0;
}

void seal_resident_id_mask(const char *id, char out[19])
{
    size_t len = id ? strnlen(id, ID_LEN + 1) : 0;
    if (len != ID_LEN) {
        /* Not an ID number we can show in part: show none of it. */
        size_t n = len > ID_LEN ? ID_LEN : len;
        memset(out, '*', n);
        out[n] = '\0';
        return;
    }
    memcpy(out, id, 6);
    memset(out + 6, '*', 8);
    memcpy(out + 14, id + 14, 4);
    out[ID_LEN] = '\0';
}

#define MOBILE_LEN 11

int seal_mobile_check(const char *mobile)
{
    size_t len = mobile ? strnlen(mobile, MOBILE_LEN + 1) : 0;
    if (len > MOBILE_LEN)
        return seal_error_set(SEAL_EINVAL, "a mobile number has 11 digits, this one has more "
                                           "(write it without +86, spaces or dashes)");
    if (len < MOBILE_LEN)
        return seal_error_set(SEAL_EINVAL, "a mobile number has 11 digits, this one has %zu", len);
    for (size_t i = 0; i < MOBILE_LEN; i++)
        if (mobile[i] < '0' || mobile[i] > '9')
            return seal_error_set(
                SEAL_EINVAL, "a mobile number is digits only; character %zu is not a digit", i + 1);
    if (mobile[0] != '1')
        return seal_error_set(SEAL_EINVAL,
                              "a mainland mobile number starts with 1; this one does not");
    return 0;
}

void seal_mobile_mask(const char *mobile, char out[12])
{
    if (seal_mobile_check(mobile) < 0) {
        seal_error_clear();
        strcpy(out, "***********");
        return;
    }
    memcpy(out, mobile, 3);
    memset(out + 3, '*', 4);
    memcpy(out + 7, mobile + 7, 4);
    out[MOBILE_LEN] = '\0';
}

char *seal_name_mask(const char *name)
{
    if (!name || !*name || !g_utf8_validate(name, -1, NULL))
        return g_strdup("*");
    const char *second = g_utf8_next_char(name);
    GString *s = g_string_new_len(name, second - name);
    for (glong rest = g_utf8_strlen(second, -1); rest > 0; rest--)
        g_string_append_c(s, '*');
    return g_string_free(s, FALSE);
}
