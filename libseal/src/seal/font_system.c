/* Fonts of this system, found through fontconfig, for the characters the shipped seal font
 * lacks. The shipped font is a GB 2312 cut of Noto Serif CJK SC Bold (fonts/README.md):
 * rare characters of names (喆, 堃, 䶮...) are drawn from the complete font the set-up
 * installs (Debian fonts-noto-cjk), the same typeface, or failing that from another font
 * that has them; seal_font_face_for (font.c) asks here one character at a time, and the
 * OFD renderer (ofd/render_font.c) asks for the complete face of the shipped typeface.
 *
 * fontconfig is loaded on first use (base/lazy.h), as Cairo is: Cairo links it anyway, so
 * by the time a seal is drawn it is in the process already. */
#include "seal/image_internal.h"

#include "base/lazy.h"

#include <seal/error.h>

#include <fontconfig/fontconfig.h>
#include <glib.h>
#include <string.h>

#ifndef SEAL_FONTCONFIG_SONAME
#error "SEAL_FONTCONFIG_SONAME must name fontconfig's library (set by CMake)"
#endif

#define FONTCONFIG_FUNCTIONS(X)                                                                    \
    X(CharSetAddChar)                                                                              \
    X(CharSetCreate)                                                                               \
    X(CharSetDestroy)                                                                              \
    X(CharSetHasChar)                                                                              \
    X(ConfigSubstitute)                                                                            \
    X(DefaultSubstitute)                                                                           \
    X(FontMatch)                                                                                   \
    X(PatternAddBool)                                                                              \
    X(PatternAddCharSet)                                                                           \
    X(PatternAddInteger)                                                                           \
    X(PatternAddString)                                                                            \
    X(PatternCreate)                                                                               \
    X(PatternDestroy)                                                                              \
    X(PatternGetCharSet)                                                                           \
    X(PatternGetInteger)                                                                           \
    X(PatternGetString)

static struct fc_table {
#define FONTCONFIG_FIELD(name) __typeof__(Fc##name) *name;
    FONTCONFIG_FUNCTIONS(FONTCONFIG_FIELD)
#undef FONTCONFIG_FIELD
} fc;

#define FONTCONFIG_SYMBOL(name) {"Fc" #name, &fc.name},
static const seal_lazy_symbol fc_symbols[] = {FONTCONFIG_FUNCTIONS(FONTCONFIG_SYMBOL)};
#undef FONTCONFIG_SYMBOL
SEAL_LAZY_COVERS(fc_symbols, fc);

static seal_lazy fontconfig = SEAL_LAZY_LIBRARY(SEAL_FONTCONFIG_SONAME, "fontconfig",
                                                "finding fonts for characters the seal font lacks",
                                                SEAL_EUNSUPPORTED, fc_symbols, NULL);

/* Whether fontconfig's answer is a face of `family` (a font lists its family under each
 * of its languages' names: any of them counts). */
static bool is_family(FcPattern *match, const char *family)
{
    FcChar8 *name = NULL;
    for (int i = 0; fc.PatternGetString(match, FC_FAMILY, i, &name) == FcResultMatch; i++)
        if (g_ascii_strcasecmp((const char *)name, family) == 0)
            return true;
    return false;
}

/* fontconfig's best font for a pattern of `family` (bold: weight bold) that, with
 * `code_point` not 0, has a glyph for it. fontconfig ranks the character set above the
 * family (fcmatch.c's priorities), so a face of the family wins when it has the
 * character, another font when it does not. `need_family`: only a face of the family. */
static int match(char **path, int *index, const char *family, bool bold, uint32_t code_point,
                 bool need_family)
{
    int rc = 0;
    FcPattern *pattern = NULL, *found = NULL;
    FcCharSet *wanted = NULL;
    *path = NULL;
    *index = 0;
    SEAL_TRY(seal_lazy_load(&fontconfig));
    pattern = fc.PatternCreate();
    SEAL_ENSURE(pattern, SEAL_ENOMEM, "out of memory");
    if (family && *family)
        SEAL_ENSURE(fc.PatternAddString(pattern, FC_FAMILY, (const FcChar8 *)family), SEAL_ENOMEM,
                    "out of memory");
    SEAL_ENSURE(
        fc.PatternAddInteger(pattern, FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR) &&
            fc.PatternAddBool(pattern, FC_SCALABLE, FcTrue) &&
            fc.PatternAddString(pattern, FC_LANG, (const FcChar8 *)"zh-cn"),
        SEAL_ENOMEM, "out of memory");
    if (code_point) {
        wanted = fc.CharSetCreate();
        SEAL_ENSURE(wanted && fc.CharSetAddChar(wanted, code_point) &&
                        fc.PatternAddCharSet(pattern, FC_CHARSET, wanted),
                    SEAL_ENOMEM, "out of memory");
    }
    fc.ConfigSubstitute(NULL, pattern, FcMatchPattern);
    fc.DefaultSubstitute(pattern);
    FcResult result = FcResultNoMatch;
    found = fc.FontMatch(NULL, pattern, &result);
    SEAL_ENSURE(found, SEAL_ENOTFOUND, "fontconfig knows no font on this system");

    /* fontconfig always answers with its best; the answer must really do. */
    FcCharSet *has = NULL;
    if (code_point)
        SEAL_ENSURE(fc.PatternGetCharSet(found, FC_CHARSET, 0, &has) == FcResultMatch &&
                        fc.CharSetHasChar(has, code_point),
                    SEAL_ENOTFOUND, "no font on this system has a glyph for U+%04X",
                    (unsigned)code_point);
    if (need_family)
        SEAL_ENSURE(is_family(found, family), SEAL_ENOTFOUND,
                    "no font of the family %s is installed", family);
    FcChar8 *file = NULL;
    int face = 0;
    SEAL_ENSURE(fc.PatternGetString(found, FC_FILE, 0, &file) == FcResultMatch && file,
                SEAL_ENOTFOUND, "fontconfig names no file for the font it found");
    if (fc.PatternGetInteger(found, FC_INDEX, 0, &face) != FcResultMatch)
        face = 0;
    *path = g_strdup((const char *)file);
    *index = face;
out:
    if (wanted)
        fc.CharSetDestroy(wanted);
    if (found)
        fc.PatternDestroy(found);
    if (pattern)
        fc.PatternDestroy(pattern);
    return rc;
}

int seal_font_system_for_char(char **path, int *index, const char *family, bool bold,
                              uint32_t code_point)
{
    return match(path, index, family, bold, code_point, false);
}

int seal_font_system_family(char **path, int *index, const char *family, bool bold)
{
    return match(path, index, family, bold, 0, true);
}
