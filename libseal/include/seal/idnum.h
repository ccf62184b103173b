/* Identity numbers entered by administrators: the unified social credit code of an
 * institution (GB 32100-2015) and the resident identity number of a person
 * (GB 11643-1999). Both carry a check character; a typo is caught where it is entered. */
#ifndef SEAL_IDNUM_H
#define SEAL_IDNUM_H

#ifdef __cplusplus
extern "C" {
#endif

/* 0 when `code` is a valid 18-character unified social credit code; SEAL_EINVAL with a
 * message naming the problem (length, bad character at position N, wrong check
 * character) otherwise. The message never repeats the number itself. */
int seal_credit_code_check(const char *code);

/* 0 when `id` is a valid 18-character resident identity number (region, a real birth
 * date, check character); SEAL_EINVAL otherwise. The message never repeats the number. */
int seal_resident_id_check(const char *id);

/* Writes a masked form for display and logs: first 6 and last 4 characters kept for
 * resident IDs ("110105********002X"). out must hold 19 bytes. */
void seal_resident_id_mask(const char *id, char out[19]);

/* 0 when `mobile` is a mainland China mobile number: 11 digits starting with 1 (the
 * national numbering plan's mobile range, written without +86 or spaces); SEAL_EINVAL
 * otherwise, the message saying what is wrong without repeating the number. */
int seal_mobile_check(const char *mobile);

/* The masked form of a mobile number for display and logs: first 3 and last 4 digits
 * kept ("138****5678"). A text that is no mobile number is masked whole. out must hold
 * 12 bytes. */
void seal_mobile_mask(const char *mobile, char out[12]);

/* A person's name as a signature or a message may show it: the first character (the
 * family name) kept, every other character an asterisk ("李**"); caller frees with
 * g_free. An empty or invalid UTF-8 name gives "*". */
char *seal_name_mask(const char *name);

#ifdef __cplusplus
}
#endif
#endif
