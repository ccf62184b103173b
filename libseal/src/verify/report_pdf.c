/* The verification report as a PDF a bidder or a court can file (seal_report_to_pdf,
 * seal/report.h): drawn with Cairo on A4 pages in the seal font, a cover with the
 * document's identity, the verdict and a QR code to the verification page, then one block
 * per signature (its seal and page as shown, who signed, when and how we know, the checks,
 * the changes after signing), flowing over as many pages as it takes. The verify flow
 * calls it after the report is finished; report_seal.c then seals the result. Every text
 * from the document is cleaned (valid UTF-8, no control characters, only characters the
 * font has) and drawn as glyphs: nothing in it is ever read as PDF syntax. */
#include "render/canvas.h"
#include "seal/image_internal.h"

#include <seal/error.h>
#include <seal/image.h>
#include <seal/report.h>

#include <glib.h>
#include <math.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

/* ISO 216 A4, 210 x 297 mm, in PDF points (1/72 inch). */
#define PAGE_W       (210.0 / 25.4 * 72)
#define PAGE_H       (297.0 / 25.4 * 72)
#define MARGIN       50.0
#define CONTENT_TOP  (MARGIN + 18)
#define CONTENT_END  (PAGE_H - MARGIN - 12)
#define CONTENT_W    (PAGE_W - 2 * MARGIN)
#define LABEL_W      118.0
#define PICTURE_W    120.0
#define QR_SIDE      112.0
#define QR_QUIET     4    /* modules of quiet zone, ISO/IEC 18004 */
#define TEXT_MAX     4000 /* characters of one value drawn; a longer one is cut with "..." */
#define URL_MAX      1024
#define LINE_SPACING 1.35

typedef struct pen {
    cairo_t *cr;
    const seal_font *font;
    double y;   /* the top of the next line */
    int page;   /* 1-based */
    char *file; /* cleaned, for the running header */
} pen;

typedef struct rgb {
    double r, g, b;
} rgb;

static const rgb BLACK = {0, 0, 0}, GREY = {0.4, 0.4, 0.4}, RULE = {0.75, 0.75, 0.75};

static rgb verdict_colour(seal_verdict v)
{
    switch (v) {
    case SEAL_VERDICT_VALID:
        return (rgb){0.05, 0.45, 0.18};
    case SEAL_VERDICT_INVALID:
        return (rgb){0.75, 0.08, 0.08};
    case SEAL_VERDICT_INDETERMINATE:
        break;
    }
    return (rgb){0.72, 0.42, 0.0};
}

static const char *verdict_zh(seal_verdict v)
{
    switch (v) {
    case SEAL_VERDICT_VALID:
        return "有效";
    case SEAL_VERDICT_INVALID:
        return "无效";
    case SEAL_VERDICT_INDETERMINATE:
        break;
    }
    return "无法确定";
}

/* Text as it may be drawn: valid UTF-8 (invalid bytes become U+FFFD first), control
 * characters (line breaks included, unless `keep_newlines`) as spaces, characters the
 * font lacks (and U+FFFD) as '?', so that no glyph is a .notdef box whose text no reader
 * can extract; at most TEXT_MAX characters. Bidirectional controls are among those the
 * font lacks, so a name cannot be shown reversed. g_free the result. */
static char *clean(const seal_font *font, const char *s, bool keep_newlines)
{
    char *valid = g_utf8_make_valid(s ? s : "", -1);
    GString *out = g_string_sized_new(strlen(valid));
    size_t n = 0;
    for (const char *p = valid; *p; p = g_utf8_next_char(p), n++) {
        gunichar c = g_utf8_get_char(p);
        if (n == TEXT_MAX) {
            g_string_append(out, "...");
            break;
        }
        if (c == '\n' && keep_newlines)
            g_string_append_c(out, '\n');
        else if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029)
            g_string_append_c(out, ' ');
        else if (c == 0xFFFD || !seal_font_has_char(font, c))
            g_string_append_c(out, '?');
        else
            g_string_append_unichar(out, c);
    }
    g_free(valid);
    return g_string_free(out, FALSE);
}

static void set_text(pen *p, double size, rgb colour)
{
    cairo_set_font_face(p->cr, seal_font_face(p->font));
    cairo_set_font_size(p->cr, size);
    cairo_set_source_rgb(p->cr, colour.r, colour.g, colour.b);
}

/* The width of already cleaned text at the current font and size. */
static double text_width(cairo_t *cr, const char *text)
{
    cairo_text_extents_t ext;
    cairo_text_extents(cr, text, &ext);
    return ext.x_advance;
}

static void show_at(cairo_t *cr, double x, double baseline, const char *text)
{
    cairo_move_to(cr, x, baseline);
    cairo_show_text(cr, text);
}

/* Cleaned text cut into lines of at most `width` at the current font: at the last space
 * that fits when there is one (Latin words), else before the character that does not
 * (Chinese runs without spaces, hashes, long names). g_ptr_array_unref the result. */
static GPtrArray *wrap(cairo_t *cr, const char *text, double width)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    const char *start = text, *space = NULL;
    double used = 0;
    for (const char *q = text;; q = g_utf8_next_char(q)) {
        if (!*q || *q == '\n') {
            g_ptr_array_add(lines, g_strndup(start, (gsize)(q - start)));
            if (!*q)
                break;
            start = q + 1;
            space = NULL;
            used = 0;
            continue;
        }
        char one[8] = {0};
        memcpy(one, q, (size_t)(g_utf8_next_char(q) - q));
        double adv = text_width(cr, one);
        if (used + adv > width && q > start) {
            const char *cut = space && space > start ? space : q;
            g_ptr_array_add(lines, g_strndup(start, (gsize)(cut - start)));
            start = cut == space ? space + 1 : q;
            char *rest = g_strndup(start, (gsize)(q - start));
            used = text_width(cr, rest);
            g_free(rest);
            space = NULL;
        }
        if (*q == ' ')
            space = q;
        used += adv;
    }
    return lines;
}

static void page_frame(pen *p)
{
    cairo_t *cr = p->cr;
    char footer[96];
    set_text(p, 7.5, GREY);
    show_at(cr, MARGIN, MARGIN, "签章验证报告 Signature verification report");
    double w = text_width(cr, p->file);
    show_at(cr, fmax(MARGIN + 200, PAGE_W - MARGIN - w), MARGIN, p->file);
    cairo_set_source_rgb(cr, RULE.r, RULE.g, RULE.b);
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, MARGIN, MARGIN + 5);
    cairo_line_to(cr, PAGE_W - MARGIN, MARGIN + 5);
    cairo_stroke(cr);
    set_text(p, 7.5, GREY);
    snprintf(footer, sizeof footer, "第 %d 页  page %d", p->page, p->page);
    show_at(cr, (PAGE_W - text_width(cr, footer)) / 2, PAGE_H - MARGIN + 10, footer);
    p->y = CONTENT_TOP;
}

static void new_page(pen *p)
{
    cairo_show_page(p->cr);
    p->page++;
    page_frame(p);
}

/* Starts a new page unless `height` more points fit on this one. */
static void need(pen *p, double height)
{
    if (p->y + height > CONTENT_END)
        new_page(p);
}

/* Wrapped cleaned text at x within width, line by line onto as many pages as it takes. */
static void draw_lines(pen *p, double x, double width, double size, rgb colour, const char *text)
{
    set_text(p, size, colour);
    GPtrArray *lines = wrap(p->cr, text, width);
    for (guint i = 0; i < lines->len; i++) {
        need(p, size * LINE_SPACING);
        set_text(p, size, colour);
        show_at(p->cr, x, p->y + size, g_ptr_array_index(lines, i));
        p->y += size * LINE_SPACING;
    }
    g_ptr_array_unref(lines);
}

/* One "label: value" row: the label (ours, cleaned all the same) in grey, the value from
 * the document cleaned and wrapped beside it. */
static void row(pen *p, double x, double width, const char *label, const char *value)
{
    const double size = 9;
    char *text = clean(p->font, value && *value ? value : "-", false);
    need(p, size * LINE_SPACING);
    set_text(p, size, GREY);
    show_at(p->cr, x, p->y + size, label);
    draw_lines(p, x + LABEL_W, width - LABEL_W, size, BLACK, text);
    g_free(text);
}

static void rule(pen *p)
{
    need(p, 8);
    cairo_set_source_rgb(p->cr, RULE.r, RULE.g, RULE.b);
    cairo_set_line_width(p->cr, 0.6);
    cairo_move_to(p->cr, MARGIN, p->y + 4);
    cairo_line_to(p->cr, PAGE_W - MARGIN, p->y + 4);
    cairo_stroke(p->cr);
    p->y += 8;
}

static void heading(pen *p, const char *text, double size)
{
    need(p, size * 2.2);
    p->y += size * 0.5;
    set_text(p, size, BLACK);
    show_at(p->cr, MARGIN, p->y + size, text);
    p->y += size * LINE_SPACING + 2;
}

static void time_text(char *out, size_t size, time_t t)
{
    struct tm tm;
    if (t == 0 || !gmtime_r(&t, &tm) || strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, size, "未知 unknown");
}

static void hex(char out[65], const uint8_t digest[32])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* ---- pictures ---- */

/* A PNG from the report drawn into the box x, y, w, h, scaled to fit and centred, its
 * drawn place in `drawn` (x, y, w, h). False, drawing nothing, when it is not a PNG we
 * can decode: the report then shows no picture there. */
static bool picture(pen *p, const seal_buf *png, double x, double y, double w, double h,
                    double drawn[4])
{
    cairo_surface_t *image = NULL;
    if (png->len == 0 || seal_image_png_surface(&image, png->data, png->len) < 0) {
        seal_error_clear();
        return false;
    }
    double iw = cairo_image_surface_get_width(image), ih = cairo_image_surface_get_height(image);
    double scale = fmin(w / iw, h / ih);
    drawn[2] = iw * scale;
    drawn[3] = ih * scale;
    drawn[0] = x + (w - drawn[2]) / 2;
    drawn[1] = y;
    cairo_save(p->cr);
    cairo_translate(p->cr, drawn[0], drawn[1]);
    cairo_scale(p->cr, scale, scale);
    cairo_set_source_surface(p->cr, image, 0, 0);
    cairo_paint(p->cr);
    cairo_restore(p->cr);
    cairo_surface_destroy(image);
    cairo_set_source_rgb(p->cr, RULE.r, RULE.g, RULE.b);
    cairo_set_line_width(p->cr, 0.5);
    cairo_rectangle(p->cr, drawn[0], drawn[1], drawn[2], drawn[3]);
    cairo_stroke(p->cr);
    return true;
}

static void caption(pen *p, double x, double y, const char *text)
{
    set_text(p, 7.5, GREY);
    show_at(p->cr, x, y + 7.5, text);
}

/* The seal as the page shows it, and the page small with the seal's box: the left column
 * of a signature's block. Returns the column's bottom. */
static double sig_pictures(pen *p, const seal_sig_picture *pic, double top)
{
    double drawn[4], y = top;
    char text[64];
    if (picture(p, &pic->seal_png, MARGIN, y, PICTURE_W, PICTURE_W * 0.8, drawn)) {
        caption(p, MARGIN, drawn[1] + drawn[3] + 2, "印章 seal as shown");
        y = drawn[1] + drawn[3] + 16;
    }
    double room = CONTENT_END - y - 14;
    if (room > 60 &&
        picture(p, &pic->thumbnail_png, MARGIN, y, PICTURE_W, fmin(room, 175), drawn)) {
        /* The box in mm from the shown page's top-left, onto the thumbnail's scale. */
        if (pic->page_mm[0] > 0 && pic->page_mm[1] > 0) {
            double sx = drawn[2] / pic->page_mm[0], sy = drawn[3] / pic->page_mm[1];
            cairo_set_source_rgb(p->cr, 0.85, 0.0, 0.0);
            cairo_set_line_width(p->cr, 1.0);
            cairo_rectangle(p->cr, drawn[0] + pic->box_mm[0] * sx, drawn[1] + pic->box_mm[1] * sy,
                            pic->box_mm[2] * sx, pic->box_mm[3] * sy);
            cairo_stroke(p->cr);
        }
        snprintf(text, sizeof text, "第 %d 页  page %d", pic->page, pic->page);
        caption(p, MARGIN, drawn[1] + drawn[3] + 2, text);
        y = drawn[1] + drawn[3] + 16;
    }
    return y;
}

/* ---- the QR code ---- */

/* ISO/IEC 18004 symbol, level M, drawn as filled modules (vector: sharp at any zoom). */
static int qr(pen *p, const char *url, double x, double y, double side)
{
    int rc = 0;
    QRcode *code = QRcode_encodeString8bit(url, 0, QR_ECLEVEL_M);
    SEAL_ENSURE(code, SEAL_EINVAL, "the verification URL (%zu bytes) cannot be a QR code",
                strlen(url));
    double module = side / (code->width + 2 * QR_QUIET);
    cairo_set_source_rgb(p->cr, 0, 0, 0);
    /* libqrencode: one byte per module, bit 0 set for a dark one. */
    for (int r = 0; r < code->width; r++)
        for (int c = 0; c < code->width; c++)
            if (code->data[r * code->width + c] & 1)
                cairo_rectangle(p->cr, x + (c + QR_QUIET) * module, y + (r + QR_QUIET) * module,
                                module, module);
    cairo_fill(p->cr);
out:
    QRcode_free(code);
    return rc;
}

static int verify_url(char **out, const char *base, const uint8_t sha256[32])
{
    char digest[65];
    size_t len = strlen(base);
    *out = NULL;
    while (len > 0 && base[len - 1] == '/')
        len--;
    if (len == 0 || len > URL_MAX)
        return seal_error_set(
            SEAL_EINVAL, "the verification page's address must have 1 to %d characters", URL_MAX);
    for (size_t i = 0; i < len; i++)
        if (base[i] <= 0x20 || base[i] >= 0x7f)
            return seal_error_set(SEAL_EINVAL,
                                  "the verification page's address may hold only printable "
                                  "ASCII without spaces (percent-encode the rest)");
    hex(digest, sha256);
    *out = g_strdup_printf("%.*s/verify/?sha256=%s", (int)len, base, digest);
    return 0;
}

/* ---- the cover ---- */

static int cover(pen *p, const seal_report *r, const seal_report_pdf_opts *o)
{
    int rc = 0;
    char sha256[65], sm3[65], size[64], when[48], *url = NULL, *text = NULL;
    cairo_t *cr = p->cr;
    set_text(p, 22, BLACK);
    show_at(cr, MARGIN, p->y + 22, "签章验证报告");
    set_text(p, 13, GREY);
    show_at(cr, MARGIN, p->y + 42, "Signature verification report");
    p->y += 62;

    heading(p, "文档  Document", 11);
    hex(sha256, o->sha256);
    hex(sm3, o->sm3);
    snprintf(size, sizeof size, "%llu 字节  bytes", (unsigned long long)o->file_size);
    time_text(when, sizeof when, o->verified_at ? o->verified_at : time(NULL));
    row(p, MARGIN, CONTENT_W, "文件  File", p->file);
    row(p, MARGIN, CONTENT_W, "格式  Format", r->format);
    row(p, MARGIN, CONTENT_W, "大小  Size", size);
    row(p, MARGIN, CONTENT_W, "SHA-256", sha256);
    row(p, MARGIN, CONTENT_W, "SM3", sm3);
    row(p, MARGIN, CONTENT_W, "验证时间  Verified", when);

    /* The verdict in large words, in its colour, across the page. */
    rgb colour = verdict_colour(r->verdict);
    const double box_h = 96;
    p->y += 14;
    cairo_set_source_rgb(cr, colour.r, colour.g, colour.b);
    cairo_set_line_width(cr, 2.5);
    cairo_rectangle(cr, MARGIN, p->y, CONTENT_W, box_h);
    cairo_stroke(cr);
    set_text(p, 9, GREY);
    show_at(cr, MARGIN + 14, p->y + 18, "验证结论  Verdict");
    set_text(p, 40, colour);
    show_at(cr, MARGIN + 14, p->y + 68, verdict_zh(r->verdict));
    double zh_w = text_width(cr, verdict_zh(r->verdict));
    set_text(p, 32, colour);
    show_at(cr, MARGIN + 34 + zh_w, p->y + 66, seal_verdict_name(r->verdict));
    if (r->reason) {
        g_free(text);
        text = clean(p->font, r->reason, false);
        set_text(p, 9, colour);
        show_at(cr, MARGIN + 14, p->y + 86, text);
    }
    p->y += box_h + 14;

    /* The QR code to the verification page, where anyone can check the document again. */
    if (o->verify_url) {
        SEAL_TRY(verify_url(&url, o->verify_url, o->sha256));
        need(p, QR_SIDE + 8);
        const double qr_top = p->y, x = MARGIN + QR_SIDE + 14;
        SEAL_TRY(qr(p, url, MARGIN, qr_top, QR_SIDE));
        p->y = qr_top + 14;
        draw_lines(p, x, CONTENT_W - QR_SIDE - 14, 10, BLACK, "在线核验  Verify online");
        p->y += 2;
        draw_lines(p, x, CONTENT_W - QR_SIDE - 14, 8.5, GREY,
                   "扫描二维码，在平台的验证页面上核对本文档（按其 SHA-256 查找）。"
                   "Scan the code to check this document on the platform's verification "
                   "page (found by its SHA-256).");
        p->y += 2;
        g_free(text);
        text = clean(p->font, url, false);
        draw_lines(p, x, CONTENT_W - QR_SIDE - 14, 8, BLACK, text);
        p->y = fmax(p->y, qr_top + QR_SIDE) + 6;
    }

    /* One line per signature, the details after. */
    g_free(text);
    text = g_strdup_printf("签章  Signatures: %zu", r->n_sigs);
    heading(p, text, 11);
    if (r->n_sigs == 0)
        draw_lines(p, MARGIN, CONTENT_W, 9, BLACK,
                   "文档中没有签章。The document carries no signature.");
    for (size_t i = 0; i < r->n_sigs; i++) {
        const seal_sig_report *s = &r->sigs[i];
        char *who = clean(p->font, s->signer_name ? s->signer_name : "-", false);
        g_free(text);
        text = g_strdup_printf("%zu.  %s", i + 1, who);
        g_free(who);
        need(p, 9 * LINE_SPACING);
        char *verdict =
            g_strdup_printf("%s  %s", verdict_zh(s->verdict), seal_verdict_name(s->verdict));
        set_text(p, 9, verdict_colour(s->verdict));
        show_at(cr, PAGE_W - MARGIN - text_width(cr, verdict), p->y + 9, verdict);
        g_free(verdict);
        draw_lines(p, MARGIN, CONTENT_W - 110, 9, BLACK, text);
    }
out:
    g_free(url);
    g_free(text);
    return rc;
}

/* ---- one signature ---- */

static void checks(pen *p, const seal_sig_report *s)
{
    const double size = 8, name_w = 100, outcome_w = 92;
    heading(p, "检查项  Checks", 10);
    for (size_t i = 0; i < s->n_checks; i++) {
        const seal_check *c = &s->checks[i];
        char *name = clean(p->font, c->name, false);
        char *detail = clean(p->font, c->detail && *c->detail ? c->detail : "-", false);
        char *outcome =
            g_strdup_printf("%s %s", seal_verdict_name(c->outcome), verdict_zh(c->outcome));
        need(p, size * LINE_SPACING);
        set_text(p, size, BLACK);
        show_at(p->cr, MARGIN, p->y + size, name);
        set_text(p, size, verdict_colour(c->outcome));
        show_at(p->cr, MARGIN + name_w, p->y + size, outcome);
        draw_lines(p, MARGIN + name_w + outcome_w, CONTENT_W - name_w - outcome_w, size, BLACK,
                   detail);
        p->y += 1.5;
        g_free(name);
        g_free(detail);
        g_free(outcome);
    }
}

static void changes(pen *p, const seal_sig_report *s)
{
    heading(p, "签署后的变更  Changes after signing", 10);
    if (s->n_changes == 0)
        draw_lines(p, MARGIN, CONTENT_W, 8.5, BLACK, "无  none");
    for (size_t i = 0; i < s->n_changes; i++) {
        char *line = clean(p->font, s->changes[i], false);
        char *bullet = g_strdup_printf("- %s", line);
        draw_lines(p, MARGIN + 6, CONTENT_W - 6, 8.5, BLACK, bullet);
        g_free(line);
        g_free(bullet);
    }
}

static void placement(char *out, size_t size, const seal_sig_report *s)
{
    if (!s->visible) {
        snprintf(out, size, "不可见  invisible");
        return;
    }
    size_t used = 0;
    size_t n = s->n_widgets ? s->n_widgets : 1;
    for (size_t i = 0; i < n && used < size; i++) {
        int page = s->n_widgets ? s->widgets[i].page : s->page;
        int w = snprintf(out + used, size - used, "%s第 %d 页 page %d", i ? "; " : "", page, page);
        used += w > 0 ? (size_t)w : 0;
    }
}

static void signature(pen *p, size_t index, const seal_sig_report *s)
{
    char title[96], when[48], validity[112], where[512], algorithm[96], nb[48], na[48];
    need(p, 230);
    if (index > 0 && p->y > CONTENT_TOP) /* a new page needs no separator */
        rule(p);
    snprintf(title, sizeof title, "签章 %zu  Signature %zu", index + 1, index + 1);
    heading(p, title, 14);
    char *verdict =
        g_strdup_printf("%s  %s", verdict_zh(s->verdict), seal_verdict_name(s->verdict));
    set_text(p, 14, verdict_colour(s->verdict));
    show_at(p->cr, PAGE_W - MARGIN - text_width(p->cr, verdict), p->y - 14 * 0.35 - 2, verdict);
    g_free(verdict);
    char *field = clean(p->font, s->field_name ? s->field_name : "-", false);
    char *kind = clean(p->font, s->kind ? s->kind : "-", false);
    char *sub = g_strdup_printf("%s (%s)", field, kind);
    draw_lines(p, MARGIN, CONTENT_W, 8, GREY, sub);
    g_free(field);
    g_free(kind);
    g_free(sub);
    p->y += 4;

    const double top = p->y;
    const int page = p->page;
    double pictures_end = top, x = MARGIN, width = CONTENT_W;
    if (s->picture) {
        pictures_end = sig_pictures(p, s->picture, top);
        x = MARGIN + PICTURE_W + 16;
        width = CONTENT_W - PICTURE_W - 16;
    }
    time_text(when, sizeof when, s->signing_time);
    time_text(nb, sizeof nb, s->signer_not_before);
    time_text(na, sizeof na, s->signer_not_after);
    snprintf(validity, sizeof validity, "%s - %s", nb, na);
    snprintf(algorithm, sizeof algorithm, "%s, %s", s->algorithm ? s->algorithm : "-",
             s->digest ? s->digest : "-");
    placement(where, sizeof where, s);
    row(p, x, width, "签章人  Signer", s->signer_name);
    row(p, x, width, "单位  Institution", s->signer_org);
    row(p, x, width, "信用代码  Credit code", s->signer_org_id);
    if (s->seal_name)
        row(p, x, width, "印章  Seal", s->seal_name);
    row(p, x, width, "签署时间  Signed at", when);
    row(p, x, width, "时间依据  Time proof", s->time_source);
    row(p, x, width, "覆盖范围  Covers", s->coverage);
    if (s->document > 0) {
        char doc[32];
        snprintf(doc, sizeof doc, "%d", s->document);
        row(p, x, width, "文档  Document", doc);
    }
    row(p, x, width, "位置  Placement", where);
    if (s->reason)
        row(p, x, width, "原因  Reason", s->reason);
    row(p, x, width, "证书主体  Subject", s->signer_subject);
    row(p, x, width, "颁发者  Issuer", s->signer_issuer);
    row(p, x, width, "序列号  Serial", s->signer_serial);
    row(p, x, width, "有效期  Validity", validity);
    row(p, x, width, "算法  Algorithm", algorithm);
    if (s->grant_id) {
        char *grant =
            g_strdup_printf("%s %s %s", s->grant_id, s->grant_project ? s->grant_project : "",
                            s->grant_grantee ? s->grant_grantee : "");
        row(p, x, width, "授权  Grant", grant);
        g_free(grant);
    }
    /* The pictures' column counts only while the rows stayed on its page. */
    if (p->page == page)
        p->y = fmax(p->y, pictures_end);
    p->y += 4;
    checks(p, s);
    changes(p, s);
    p->y += 6;
}

int seal_report_to_pdf(const seal_report *r, const seal_report_pdf_opts *o, seal_buf *out)
{
    int rc = 0;
    seal_font *font = NULL;
    cairo_surface_t *surface = NULL;
    pen p = {0};
    seal_buf pdf = SEAL_BUF_INIT;

    SEAL_ENSURE(r && o && out, SEAL_EINVAL, "no report, options or output for the PDF report");
    SEAL_TRY(render_cairo_load());
    const char *font_path = seal_font_path();
    SEAL_ENSURE(font_path, SEAL_EIO,
                "the seal font (%s) is not installed, so the PDF report cannot be drawn; set "
                "SEAL_FONT_DIR to the folder that holds it",
                SEAL_FONT_FILE);
    SEAL_TRY(seal_font_open(&font, font_path));
    surface = cairo_pdf_surface_create_for_stream(seal_render_write_buf, &pdf, PAGE_W, PAGE_H);
    SEAL_ENSURE(cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                "cannot start the PDF report: %s",
                cairo_status_to_string(cairo_surface_status(surface)));
    p.cr = cairo_create(surface);
    p.font = font;
    p.page = 1;
    const char *name = o->file_name ? o->file_name : r->file;
    char *base = g_path_get_basename(name && *name ? name : "-");
    p.file = clean(font, base, false);
    g_free(base);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
                                   "签章验证报告 Signature verification report");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "sealsvc");

    page_frame(&p);
    SEAL_TRY(cover(&p, r, o));
    for (size_t i = 0; i < r->n_sigs; i++) {
        if (i == 0)
            new_page(&p);
        signature(&p, i, &r->sigs[i]);
    }
    SEAL_ENSURE(cairo_status(p.cr) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                "drawing the PDF report failed: %s", cairo_status_to_string(cairo_status(p.cr)));
    cairo_destroy(p.cr);
    p.cr = NULL;
    cairo_surface_finish(surface);
    SEAL_ENSURE(cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, SEAL_ENOMEM,
                "writing the PDF report failed: %s",
                cairo_status_to_string(cairo_surface_status(surface)));
    seal_buf_clear(out);
    *out = pdf;
    pdf = (seal_buf)SEAL_BUF_INIT;
out:
    cairo_destroy(p.cr);
    cairo_surface_destroy(surface);
    seal_font_free(font);
    g_free(p.file);
    seal_buf_clear(&pdf);
    return rc;
}
