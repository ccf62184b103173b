/* Unit tests for identity number checks (idnum.c): the published valid examples, each kind
 * of mistake an administrator can type, check characters derived by hand, and the promise
 * that a single mistyped character is always caught and never echoed in the message. */
#include "testutil.h"

#include <seal/error.h>
#include <seal/idnum.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void assert_refused(int rc, const char *expect_in_message, const char *number)
{
    assert_int_equal(rc, SEAL_EINVAL);
    const char *msg = seal_error_last();
    if (!strstr(msg, expect_in_message))
        fail_msg("message \"%s\" does not mention \"%s\"", msg, expect_in_message);
    /* Personal data: neither the number nor its distinctive middle part may appear. */
    if (number && strlen(number) >= 10) {
        char middle[9];
        memcpy(middle, number + 6, 8);
        middle[8] = '\0';
        assert_null(strstr(msg, number));
        assert_null(strstr(msg, middle));
    }
}

/* ---- unified social credit code ---- */

static void credit_code_published_example_is_valid(void **state)
{
    (void)state;
    assert_int_equal(seal_credit_code_check("91110000600037341L"), 0);
}

/* Check characters derived by hand from GB 32100-2015 Appendix B (value of a character is
 * its index in 0-9 A-H J-N P-R T U W-Y; weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10
 * 30 28):
 *   12100000400000000: 1*1 + 2*3 + 1*9 + 4*20 = 96; 96 mod 31 = 3; 31 - 3 = 28 -> 'W'
 *   91310000MA1FL0000: 9*1 + 1*3 + 3*9 + 1*27 + M(21)*20 + A(10)*29 + 1*25 + F(15)*13
 *                      + L(20)*8 = 1156; 1156 mod 31 = 9; 31 - 9 = 22 -> 'N' */
static void credit_code_hand_derived_examples_are_valid(void **state)
{
    (void)state;
    assert_int_equal(seal_credit_code_check("12100000400000000W"), 0);
    assert_int_equal(seal_credit_code_check("91310000MA1FL0000N"), 0);
    /* The neighbouring check characters are wrong. */
    assert_refused(seal_credit_code_check("12100000400000000U"), "check character",
                   "12100000400000000U");
    assert_refused(seal_credit_code_check("91310000MA1FL0000M"), "check character",
                   "91310000MA1FL0000M");
}

static void credit_code_wrong_length(void **state)
{
    (void)state;
    assert_refused(seal_credit_code_check("91110000600037341"), "wrong length 17", NULL);
    assert_refused(seal_credit_code_check("91110000600037341LL"), "wrong length 19", NULL);
    assert_refused(seal_credit_code_check(""), "no unified social credit code", NULL);
    assert_refused(seal_credit_code_check(NULL), "no unified social credit code", NULL);
}

static void credit_code_bad_character(void **state)
{
    (void)state;
    /* I, O, S, V and Z are not in the alphabet (they look like 1, 0, 5, U and 2). */
    assert_refused(seal_credit_code_check("9111000060003734IL"), "position 17",
                   "9111000060003734IL");
    assert_refused(seal_credit_code_check("O1110000600037341L"), "position 1",
                   "O1110000600037341L");
    assert_refused(seal_credit_code_check("91110000600037341S"), "position 18",
                   "91110000600037341S");
    assert_refused(seal_credit_code_check("91110000V00037341L"), "position 9",
                   "91110000V00037341L");
    assert_refused(seal_credit_code_check("9111000060003Z341L"), "position 14",
                   "9111000060003Z341L");
    assert_refused(seal_credit_code_check("9111000060003734-L"), "position 17", NULL);
    assert_refused(seal_credit_code_check("91110000600037341l"), "upper-case", NULL);
}

static void credit_code_wrong_check_character(void **state)
{
    (void)state;
    assert_refused(seal_credit_code_check("91110000600037341M"), "check character does not match",
                   "91110000600037341M");
    /* Two digits swapped. */
    assert_refused(seal_credit_code_check("91110000600073341L"), "check character does not match",
                   "91110000600073341L");
}

static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* An independent computation of the check character: weights by repeated multiplication,
 * the check as the value that makes the full weighted sum 0 mod 31. */
static char credit_check_char(const char body[17])
{
    int sum = 0, weight = 1;
    for (int i = 0; i < 17; i++) {
        sum += (int)(strchr(alphabet, body[i]) - alphabet) * weight;
        weight = weight * 3 % 31;
    }
    for (int c = 0; c < 31; c++)
        if ((sum + c) % 31 == 0)
            return alphabet[c];
    return '?';
}

static void credit_code_generated_and_every_single_typo_caught(void **state)
{
    (void)state;
    srand(12345);
    for (int round = 0; round < 200; round++) {
        char code[19];
        for (int i = 0; i < 17; i++)
            code[i] = alphabet[rand() % 31];
        code[17] = credit_check_char(code);
        code[18] = '\0';
        if (seal_credit_code_check(code) != 0)
            fail_msg("generated code refused: %s", seal_error_last());
        /* 31 is prime and no weight is 0 mod 31, so any one substitution is caught. */
        int pos = rand() % 18;
        char orig = code[pos];
        code[pos] = alphabet[(strchr(alphabet, orig) - alphabet + 1 + rand() % 30) % 31];
        assert_int_equal(seal_credit_code_check(code), SEAL_EINVAL);
        code[pos] = orig;
    }
}

/* ---- resident identity number ---- */

static void resident_id_published_example_is_valid(void **state)
{
    (void)state;
    assert_int_equal(seal_resident_id_check("11010519491231002X"), 0);
    assert_int_equal(seal_resident_id_check("11010519491231002x"), 0);
}

/* Check characters derived by hand (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, check
 * "10X98765432"[sum mod 11]):
 *   31011519900307001: 21+9+0+5+8+20+2+9+54+0+0+27+0+35+0+0+2 = 192; mod 11 = 5 -> '7'
 *   44030420000229123: 28+36+0+15+0+16+4+0+0+0+0+18+20+45+8+8+6 = 204; mod 11 = 6 -> '6'
 *   (the second is born on 29 February 2000, a leap day) */
static void resident_id_hand_derived_examples_are_valid(void **state)
{
    (void)state;
    assert_int_equal(seal_resident_id_check("310115199003070017"), 0);
    assert_int_equal(seal_resident_id_check("440304200002291236"), 0);
    assert_refused(seal_resident_id_check("310115199003070018"), "check character does not match",
                   "310115199003070018");
}

static void resident_id_wrong_length(void **state)
{
    (void)state;
    /* The old 15-digit form (GB 11643-1989) is no longer issued. */
    assert_refused(seal_resident_id_check("110105491231002"), "wrong length 15", NULL);
    assert_refused(seal_resident_id_check("11010519491231002X1"), "wrong length 19", NULL);
    assert_refused(seal_resident_id_check(NULL), "no resident identity number", NULL);
}

static void resident_id_bad_character(void **state)
{
    (void)state;
    assert_refused(seal_resident_id_check("1101051949123100XX"), "position 17",
                   "1101051949123100XX");
    assert_refused(seal_resident_id_check("11010519491231002Y"), "position 18",
                   "11010519491231002Y");
    assert_refused(seal_resident_id_check("11010519491231 02X"), "position 15", NULL);
}

static void resident_id_birth_date_not_real(void **state)
{
    (void)state;
    /* 29 February 1900 and 2100 do not exist (century years not divisible by 400). The
     * check characters below are right, so only the date is wrong. */
    const char *bad[] = {
        "110105190002290017", /* 1900-02-29 */
        "110105199902290013", /* 1999-02-29 */
        "110105200002300015", /* 30 February of a leap year */
        "110105199913010013", /* month 13 */
        "110105199904310014", /* 31 April */
        "110105189912310015", /* before 1900 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_refused(seal_resident_id_check(bad[i]), "birth date", bad[i]);
}

static void make_resident_id(char id[19], const char body[17])
{
    static const char checks[] = "10X98765432";
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int weight = 1;
        for (int k = 0; k < 17 - i; k++)
            weight = weight * 2 % 11;
        sum += (body[i] - '0') * weight;
    }
    memcpy(id, body, 17);
    id[17] = checks[sum % 11];
    id[18] = '\0';
}

static void resident_id_born_in_future_refused(void **state)
{
    (void)state;
    time_t t = time(NULL) + 3 * 24 * 3600;
    struct tm tm;
    localtime_r(&t, &tm);
    char body[48], id[19];
    snprintf(body, sizeof body, "110105%04d%02d%02d001", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday);
    make_resident_id(id, body);
    assert_refused(seal_resident_id_check(id), "birth date", id);

    /* Born yesterday is fine. */
    t = time(NULL) - 24 * 3600;
    localtime_r(&t, &tm);
    snprintf(body, sizeof body, "110105%04d%02d%02d001", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday);
    make_resident_id(id, body);
    assert_int_equal(seal_resident_id_check(id), 0);
}

static void resident_id_unknown_region_refused(void **state)
{
    (void)state;
    char id[19];
    make_resident_id(id, "00010519491231002");
    assert_refused(seal_resident_id_check(id), "region", id);
    make_resident_id(id, "19010519491231002");
    assert_refused(seal_resident_id_check(id), "region", id);
}

static void resident_id_generated_and_every_single_typo_caught(void **state)
{
    (void)state;
    srand(777);
    for (int round = 0; round < 200; round++) {
        char body[48], id[19];
        snprintf(body, sizeof body, "%02d%04d%04d%02d%02d%03d", 31 + rand() % 7, rand() % 10000,
                 1930 + rand() % 90, 1 + rand() % 12, 1 + rand() % 28, rand() % 1000);
        make_resident_id(id, body);
        if (seal_resident_id_check(id) != 0)
            fail_msg("generated id refused: %s", seal_error_last());
        /* No weight is 0 mod 11, so changing one of the last 4 digits (sequence, check)
         * is always caught by the check character. */
        int pos = 14 + rand() % 3;
        id[pos] = (char)('0' + (id[pos] - '0' + 1 + rand() % 9) % 10);
        assert_refused(seal_resident_id_check(id), "check character", id);
    }
}

static void resident_id_mask_keeps_first_six_and_last_four(void **state)
{
    (void)state;
    char out[19];
    seal_resident_id_mask("11010519491231002X", out);
    assert_string_equal(out, "110105********002X");
    seal_resident_id_mask("12345", out);
    assert_string_equal(out, "*****");
    seal_resident_id_mask("11010519491231002X99", out);
    assert_string_equal(out, "******************");
    seal_resident_id_mask(NULL, out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(credit_code_published_example_is_valid),
        cmocka_unit_test(credit_code_hand_derived_examples_are_valid),
        cmocka_unit_test(credit_code_wrong_length),
        cmocka_unit_test(credit_code_bad_character),
        cmocka_unit_test(credit_code_wrong_check_character),
        cmocka_unit_test(credit_code_generated_and_every_single_typo_caught),
        cmocka_unit_test(resident_id_published_example_is_valid),
        cmocka_unit_test(resident_id_hand_derived_examples_are_valid),
        cmocka_unit_test(resident_id_wrong_length),
        cmocka_unit_test(resident_id_bad_character),
        cmocka_unit_test(resident_id_birth_date_not_real),
        cmocka_unit_test(resident_id_born_in_future_refused),
        cmocka_unit_test(resident_id_unknown_region_refused),
        cmocka_unit_test(resident_id_generated_and_every_single_typo_caught),
        cmocka_unit_test(resident_id_mask_keeps_first_six_and_last_four),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
