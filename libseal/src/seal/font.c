/* The seal font: where the shipped subset lives, and opening a font file with FreeType for
 * Cairo. Seal images (stamp appearances, report pictures) are drawn with it, so a stamp
 * looks the same on every host whatever fonts the system has installed. A character it
 * lacks (a rare one of a name: the shipped font is a GB 2312 cut) is drawn from a font of
 * the system that has it (font_system.c), the complete font of the same typeface when the
 * set-up installed it; each such font is opened once per seal_font and kept with it. */
#include "seal/image_internal.h"

#include <seal/error.h>
#include <seal/image.h>

#include <dlfcn.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef SEAL_FONT_DIR_SOURCE
#error "SEAL_FONT_DIR_SOURCE must name the source tree's fonts/ folder (set by CMake)"
#endif
#ifndef SEAL_FONT_DIR_INSTALL
#error "SEAL_FONT_DIR_INSTALL must name the installed fonts folder (set by CMake)"
#endif
#ifndef SEAL_FONT_DIR_FROM_LIB
#error "SEAL_FONT_DIR_FROM_LIB must name the installed fonts folder from the library's (CMake)"
#endif

/* Adobe's ideographic em box for CJK fonts (880/-120 units of 1000), used when a font has
 * no OS/2 table to say otherwise. */
#define DEFAULT_EM_TOP    0.88
#define DEFAULT_EM_BOTTOM 0.12

/* Fonts of the system a seal_font may open for characters it lacks: a name needs one or
 * two at most; the bound keeps a string of odd characters from opening dozens. */
#define FALLBACKS_MAX 8

struct seal_font {
    cairo_font_face_t *face; /* owns ft_face: FT_Done_Face runs when Cairo drops it */
    FT_Face ft_face;
    double em_top;
    double em_bottom;
    seal_font *fallbacks[FALLBACKS_MAX]; /* opened by seal_font_face_for */
    size_t n_fallbacks;
};

/* One FT_Library per process. FreeType lets faces of one library be used from different
 * threads, but creating and destroying faces changes the library's list of faces, so
 * those two calls take library_lock. */
static FT_Library library;
static FT_Error library_error;
static pthread_mutex_t library_lock = PTHREAD_MUTEX_INITIALIZER;
static const cairo_user_data_key_t ft_face_key;

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void start_library(void)
{
    library_error = FT_Init_FreeType(&library);
}

static void init_library(void)
{
    pthread_once(&library_once, start_library);
}

static void done_ft_face(void *data)
{
    pthread_mutex_lock(&library_lock);
    FT_Done_Face(data);
    pthread_mutex_unlock(&library_lock);
}

static char *font_in(const char *dir)
{
    if (!dir || !*dir)
        return NULL;
    char *path = g_build_filename(dir, SEAL_FONT_FILE, NULL);
    if (access(path, R_OK) == 0 && g_file_test(path, G_FILE_TEST_IS_REGULAR))
        return path;
    g_free(path);
    return NULL;
}

/* The installed fonts folder as seen from the folder this library was loaded from
 * (lib/../share/sealsvc/fonts), so that an installation works under any prefix. In the
 * build tree there is no such folder and the source tree's is used. */
static char *font_beside_library(void)
{
    Dl_info info;
    if (!dladdr((void *)seal_font_path, &info) || !info.dli_fname || !*info.dli_fname)
        return NULL;
    char *lib_dir = g_path_get_dirname(info.dli_fname);
    char *dir = g_canonicalize_filename(SEAL_FONT_DIR_FROM_LIB, lib_dir);
    char *path = font_in(dir);
    g_free(dir);
    g_free(lib_dir);
    return path;
}

static char *found_path;
static pthread_once_t found_once = PTHREAD_ONCE_INIT;

static void find_font(void)
{
    found_path = font_in(getenv("SEAL_FONT_DIR"));
    if (!found_path)
        found_path = font_beside_library();
    if (!found_path)
        found_path = font_in(SEAL_FONT_DIR_SOURCE);
    if (!found_path)
        found_path = font_in(SEAL_FONT_DIR_INSTALL);
}

const char *seal_font_path(void)
{
    /* Looked up once: the answer must stay valid for callers that keep the pointer. */
    pthread_once(&found_once, find_font);
    return found_path;
}

static int open_face(seal_font **out, const char *path, int index)
{
    int rc = 0;
    seal_font *font = NULL;
    FT_Face ft_face = NULL;

    *out = NULL;
    init_library();
    SEAL_ENSURE(library_error == 0, SEAL_EUNSUPPORTED,
                "FreeType could not start (error %d), so seals cannot be drawn",
                (int)library_error);
    SEAL_ENSURE(access(path, R_OK) == 0, SEAL_EIO, "font %s cannot be read", path);

    pthread_mutex_lock(&library_lock);
    FT_Error err = FT_New_Face(library, path, index, &ft_face);
    pthread_mutex_unlock(&library_lock);
    SEAL_ENSURE(err == 0, SEAL_EFORMAT,
                "font %s is not a font FreeType can read (error %d); give an OpenType or "
                "TrueType file",
                path, (int)err);
    SEAL_ENSURE(FT_IS_SCALABLE(ft_face), SEAL_EFORMAT,
                "font %s is a bitmap font; seals need an outline (OpenType or TrueType) font",
                path);

    font = calloc(1, sizeof *font);
    SEAL_ENSURE(font, SEAL_ENOMEM, "out of memory");
    font->ft_face = ft_face;
    font->em_top = DEFAULT_EM_TOP;
    font->em_bottom = DEFAULT_EM_BOTTOM;
    /* OpenType OS/2 sTypoAscender/sTypoDescender: CJK fonts set them to the ideographic
     * em box (OpenType spec, OS/2 table), which is what a seal centres characters in. */
    const TT_OS2 *os2 = FT_Get_Sfnt_Table(ft_face, FT_SFNT_OS2);
    if (os2 && ft_face->units_per_EM > 0 && os2->sTypoAscender > 0 && os2->sTypoDescender <= 0 &&
        os2->sTypoAscender - os2->sTypoDescender > 0) {
        font->em_top = (double)os2->sTypoAscender / ft_face->units_per_EM;
        font->em_bottom = (double)-os2->sTypoDescender / ft_face->units_per_EM;
    }

    font->face = cairo_ft_font_face_create_for_ft_face(ft_face, 0);
    cairo_status_t status = cairo_font_face_status(font->face);
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_font_face_set_user_data(font->face, &ft_face_key, ft_face, done_ft_face);
    if (status != CAIRO_STATUS_SUCCESS) {
        cairo_font_face_destroy(font->face);
        font->face = NULL;
        SEAL_FAIL(SEAL_ENOMEM, "Cairo could not use font %s: %s", path,
                  cairo_status_to_string(status));
    }
    ft_face = NULL; /* the Cairo face owns it now */
    *out = font;
    font = NULL;

out:
    if (ft_face)
        done_ft_face(ft_face);
    free(font);
    return rc;
}

int seal_font_open(seal_font **out, const char *path)
{
    return open_face(out, path, 0);
}

void seal_font_free(seal_font *font)
{
    if (!font)
        return;
    for (size_t i = 0; i < font->n_fallbacks; i++)
        seal_font_free(font->fallbacks[i]);
    cairo_font_face_destroy(font->face);
    free(font);
}

cairo_font_face_t *seal_font_face(const seal_font *font)
{
    return font->face;
}

double seal_font_em_top(const seal_font *font)
{
    return font->em_top;
}

double seal_font_em_bottom(const seal_font *font)
{
    return font->em_bottom;
}

bool seal_font_has_char(const seal_font *font, uint32_t code_point)
{
    return FT_Get_Char_Index(font->ft_face, code_point) != 0;
}

int seal_font_face_for(seal_font *font, uint32_t code_point, cairo_font_face_t **face)
{
    int rc = 0;
    seal_font *found = NULL;
    char *path = NULL;
    int index = 0;

    *face = NULL;
    if (seal_font_has_char(font, code_point)) {
        *face = font->face;
        return 0;
    }
    for (size_t i = 0; i < font->n_fallbacks; i++) {
        if (seal_font_has_char(font->fallbacks[i], code_point)) {
            *face = font->fallbacks[i]->face;
            return 0;
        }
    }
    /* The font's own family first (fontconfig's ranking, font_system.c): the complete
     * font the shipped cut comes from draws the character in the same typeface. */
    bool bold = (font->ft_face->style_flags & FT_STYLE_FLAG_BOLD) != 0;
    rc = seal_font_system_for_char(&path, &index, font->ft_face->family_name, bold, code_point);
    if (rc == SEAL_ENOTFOUND) {
        seal_error_clear();
        rc = 0;
        goto out;
    }
    SEAL_TRY(rc);
    SEAL_ENSURE(font->n_fallbacks < FALLBACKS_MAX, SEAL_EINVAL,
                "the text needs more than %d fonts besides the seal font", FALLBACKS_MAX);
    SEAL_TRY(open_face(&found, path, index));
    /* fontconfig's character sets are its cache's; the face itself decides. */
    if (!seal_font_has_char(found, code_point))
        goto out;
    font->fallbacks[font->n_fallbacks++] = found;
    *face = found->face;
    found = NULL;
out:
    seal_font_free(found);
    g_free(path);
    return rc;
}
