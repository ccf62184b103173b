/* Fonts for drawing OFD text: the font files a document embeds (GB/T 33190 7.9, Font/
 * FontFile: TrueType or OpenType), opened from memory with FreeType for Cairo, and the
 * shipped seal font (seal_font_path) for fonts that are not embedded, do not load, or lack
 * a character. A character the shipped GB 2312 cut lacks too (an invoice's ¥, a rare
 * hanzi) comes from the complete installed font of its typeface (Noto Serif CJK SC Bold
 * from fonts-noto-cjk, found through fontconfig: seal/font_system.c), opened only then:
 * text within the cut draws as it always did, and fontconfig is not asked for it. Text
 * drawn with these stays text in PDF output: Cairo embeds the faces. */
#include "ofd/render_internal.h"
#include "seal/image_internal.h" /* SEAL_FONT_FILE */

#include <seal/error.h>
#include <seal/image.h>

#include <glib.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct render_font {
    cairo_font_face_t *face; /* owns the FT_Face and the file's bytes */
    FT_Face ft_face;
    /* the shipped font's: the complete font of its typeface, opened by render_font_more */
    render_font *complete;
    bool complete_tried;
};

/* The shipped font is about 2 MB; embedded CJK fonts can be tens of MB. */
#define FONT_FILE_MAX ((size_t)64 * 1024 * 1024)

/* A library of our own: embedded faces are opened from memory, which the seal module's
 * font code does not do. Creating and destroying faces changes the library's list of
 * faces, so those calls take library_lock (FreeType's rule for one library shared by
 * threads). */
static FT_Library library;
static FT_Error library_error;
static pthread_mutex_t library_lock = PTHREAD_MUTEX_INITIALIZER;
static const cairo_user_data_key_t embedded_key;

typedef struct embedded_face {
    FT_Face ft_face;
    uint8_t *bytes;
} embedded_face;

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void start_library(void)
{
    library_error = FT_Init_FreeType(&library);
}

static void init_library(void)
{
    pthread_once(&library_once, start_library);
}

static void done_embedded(void *data)
{
    embedded_face *e = data;
    pthread_mutex_lock(&library_lock);
    FT_Done_Face(e->ft_face);
    pthread_mutex_unlock(&library_lock);
    free(e->bytes);
    free(e);
}

/* A font from memory (`data`, `len`) or, with `data` NULL, face `index` of the file `what`. */
static int open_face(render_font **out, const uint8_t *data, size_t len, const char *what,
                     int index)
{
    int rc = 0;
    render_font *font = NULL;
    embedded_face *e = NULL;
    FT_Face ft_face = NULL;
    FT_Error err;

    *out = NULL;
    init_library();
    SEAL_ENSURE(library_error == 0, SEAL_EUNSUPPORTED, "FreeType could not start (error %d)",
                (int)library_error);
    SEAL_ENSURE(!data || (len > 0 && len <= LONG_MAX), SEAL_EFORMAT, "%s: the font file is empty",
                what);
    e = calloc(1, sizeof *e);
    font = calloc(1, sizeof *font);
    SEAL_ENSURE(e && font, SEAL_ENOMEM, "out of memory");
    if (data) {
        /* The face reads its file for as long as Cairo keeps it (Cairo caches scaled fonts
         * beyond our use), so the face owns a copy of the bytes. */
        e->bytes = malloc(len);
        SEAL_ENSURE(e->bytes, SEAL_ENOMEM, "out of memory");
        memcpy(e->bytes, data, len);
    }

    pthread_mutex_lock(&library_lock);
    if (data)
        err = FT_New_Memory_Face(library, e->bytes, (FT_Long)len, 0, &ft_face);
    else
        err = FT_New_Face(library, what, index, &ft_face);
    pthread_mutex_unlock(&library_lock);
    SEAL_ENSURE(err == 0, SEAL_EFORMAT, "%s is not a font FreeType can read (error %d)", what,
                (int)err);
    SEAL_ENSURE(FT_IS_SCALABLE(ft_face), SEAL_EFORMAT, "%s is a bitmap font", what);
    e->ft_face = ft_face;

    font->face = cairo_ft_font_face_create_for_ft_face(ft_face, 0);
    cairo_status_t status = cairo_font_face_status(font->face);
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_font_face_set_user_data(font->face, &embedded_key, e, done_embedded);
    if (status != CAIRO_STATUS_SUCCESS) {
        cairo_font_face_destroy(font->face);
        font->face = NULL;
        SEAL_FAIL(SEAL_ENOMEM, "Cairo could not use %s: %s", what, cairo_status_to_string(status));
    }
    font->ft_face = ft_face;
    ft_face = NULL;
    e = NULL; /* the Cairo face owns it now */
    *out = font;
    font = NULL;
out:
    if (e) {
        if (ft_face) {
            pthread_mutex_lock(&library_lock);
            FT_Done_Face(ft_face);
            pthread_mutex_unlock(&library_lock);
        }
        free(e->bytes);
        free(e);
    }
    free(font);
    return rc;
}

int render_font_open_embedded(render_font **out, const uint8_t *data, size_t len, const char *what)
{
    if (!data)
        return seal_error_set(SEAL_EFORMAT, "%s: the font file is empty", what);
    return open_face(out, data, len, what, 0);
}

int render_font_open_fallback(render_font **out)
{
    int rc = 0;
    seal_buf bytes = SEAL_BUF_INIT;
    const char *path = seal_font_path();

    *out = NULL;
    SEAL_ENSURE(path, SEAL_ENOTFOUND,
                "the shipped font %s was not found (set SEAL_FONT_DIR to its folder); text "
                "in fonts a document does not embed is drawn with it",
                SEAL_FONT_FILE);
    SEAL_TRY(seal_buf_read_file(&bytes, path, FONT_FILE_MAX));
    SEAL_TRY(render_font_open_embedded(out, bytes.data, bytes.len, path));
out:
    seal_buf_clear(&bytes);
    return rc;
}

render_font *render_font_more(render_font *fallback)
{
    if (!fallback->complete_tried) {
        fallback->complete_tried = true;
        char *path = NULL;
        int index = 0;
        bool bold = (fallback->ft_face->style_flags & FT_STYLE_FLAG_BOLD) != 0;
        /* Not installed, or not loadable: the characters stay .notdef boxes, as a page
         * with a missing glyph shows; that is no error of the page's. */
        if (seal_font_system_family(&path, &index, fallback->ft_face->family_name, bold) == 0 &&
            open_face(&fallback->complete, NULL, 0, path, index) < 0)
            fallback->complete = NULL;
        seal_error_clear();
        g_free(path);
    }
    return fallback->complete;
}

void render_font_free(render_font *font)
{
    if (!font)
        return;
    render_font_free(font->complete);
    cairo_font_face_destroy(font->face);
    free(font);
}

cairo_font_face_t *render_font_face(const render_font *font)
{
    return font->face;
}

unsigned long render_font_glyph(const render_font *font, uint32_t code_point)
{
    return FT_Get_Char_Index(font->ft_face, code_point);
}

bool render_font_has_glyph_index(const render_font *font, unsigned long glyph)
{
    return glyph < (unsigned long)font->ft_face->num_glyphs;
}
