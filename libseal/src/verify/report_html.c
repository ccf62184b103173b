/* The verification report as one HTML page, for people and for print (`sealsvc verify
 * --format html`, the API's text/html): what the PDF report shows, from the same
 * seal_report. The page stands alone: its CSS is inline, pictures are data: URIs, fonts are
 * the reader's own, and it names nothing outside itself (no URL, script or external font),
 * so it can be filed, mailed and opened offline and leaks nothing when opened.
 *
 * Every text that comes from the document (names, field names, subjects, details quoting
 * them) is hostile input: it is escaped for HTML text and attribute context alike. */
#include <seal/error.h>
#include <seal/report.h>

#include <glib.h>
#include <string.h>
#include <time.h>

/* Escapes for text and for double- or single-quoted attributes; drops C0 controls other
 * than tab and newline (they have no business in a name and confuse some readers). */
static int esc(seal_buf *out, const char *s)
{
    int rc = 0;
    for (const char *p = s ? s : ""; *p && rc == 0; p++) {
        unsigned char ch = (unsigned char)*p;
        switch (ch) {
        case '&':
            rc = seal_buf_append_str(out, "&amp;");
            break;
        case '<':
            rc = seal_buf_append_str(out, "&lt;");
            break;
        case '>':
            rc = seal_buf_append_str(out, "&gt;");
            break;
        case '"':
            rc = seal_buf_append_str(out, "&quot;");
            break;
        case '\'':
            rc = seal_buf_append_str(out, "&#39;");
            break;
        default:
            if (ch >= 0x20 || ch == '\t' || ch == '\n')
                rc = seal_buf_append_byte(out, ch);
        }
    }
    return rc;
}

static int esc_or_dash(seal_buf *out, const char *s)
{
    return esc(out, s && *s ? s : "-");
}

static int put_time(seal_buf *out, time_t t)
{
    struct tm tm;
    char text[40];
    if (t == 0 || !gmtime_r(&t, &tm) ||
        strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        return seal_buf_append_str(out, "-");
    return seal_buf_append_str(out, text);
}

/* A table row: the label is ours (trusted), the value escaped. */
static int row(seal_buf *out, const char *label, const char *value)
{
    int rc = 0;
    SEAL_TRY(seal_buf_printf(out, "<tr><th>%s</th><td>", label));
    SEAL_TRY(esc_or_dash(out, value));
    SEAL_TRY(seal_buf_append_str(out, "</td></tr>\n"));
out:
    return rc;
}

static int row_time(seal_buf *out, const char *label, time_t t)
{
    int rc = 0;
    SEAL_TRY(seal_buf_printf(out, "<tr><th>%s</th><td>", label));
    SEAL_TRY(put_time(out, t));
    SEAL_TRY(seal_buf_append_str(out, "</td></tr>\n"));
out:
    return rc;
}

static const char *verdict_class(seal_verdict v)
{
    return v == SEAL_VERDICT_VALID ? "valid" : v == SEAL_VERDICT_INVALID ? "invalid" : "indet";
}

static const char *verdict_zh(seal_verdict v)
{
    return v == SEAL_VERDICT_VALID ? "有效" : v == SEAL_VERDICT_INVALID ? "无效" : "无法确定";
}

/* The verdict in large words, its ETSI EN 319 102-1 status and the sentences. */
static int verdict_block(seal_buf *out, seal_verdict v, const char *reason, bool big)
{
    int rc = 0;
    seal_status st;
    seal_status_of(v, reason, &st);
    SEAL_TRY(seal_buf_printf(out, "<div class=\"verdict %s%s\"><div class=\"word\">%s %s</div>\n",
                             verdict_class(v), big ? " big" : "", seal_verdict_name(v),
                             verdict_zh(v)));
    SEAL_TRY(seal_buf_printf(out, "<div class=\"etsi\">ETSI EN 319 102-1: %s",
                             seal_etsi_indication_name(st.indication)));
    if (st.sub_indication)
        SEAL_TRY(seal_buf_printf(out, " / %s", st.sub_indication));
    if (st.detail) {
        SEAL_TRY(seal_buf_append_str(out, " (")); /* detail is the verifier's code */
        SEAL_TRY(esc(out, st.detail));
        SEAL_TRY(seal_buf_append_str(out, ")"));
    }
    SEAL_TRY(seal_buf_append_str(out, "</div>\n<p lang=\"zh-CN\">"));
    SEAL_TRY(esc(out, st.zh));
    SEAL_TRY(seal_buf_append_str(out, "</p>\n<p lang=\"en\">"));
    SEAL_TRY(esc(out, st.en));
    SEAL_TRY(seal_buf_append_str(out, "</p></div>\n"));
out:
    return rc;
}

static int data_png(seal_buf *out, const seal_buf *png)
{
    gchar *b64 = g_base64_encode(png->data, png->len);
    int rc = seal_buf_printf(out, "data:image/png;base64,%s", b64);
    g_free(b64);
    return rc;
}

/* The seal as the page shows it, and the page small with the seal's box drawn on it. */
static int pictures(seal_buf *out, const seal_sig_picture *p)
{
    int rc = 0;
    SEAL_TRY(seal_buf_append_str(out, "<div class=\"pictures\">"));
    if (p->seal_png.len > 0) {
        SEAL_TRY(seal_buf_append_str(out, "<figure><img class=\"seal\" alt=\"seal\" src=\""));
        SEAL_TRY(data_png(out, &p->seal_png));
        SEAL_TRY(seal_buf_append_str(out, "\"><figcaption>印章 / the seal as shown</figcaption>"
                                          "</figure>"));
    }
    if (p->thumbnail_png.len > 0 && p->page_mm[0] > 0 && p->page_mm[1] > 0) {
        SEAL_TRY(seal_buf_append_str(out, "<figure><div class=\"thumb\"><img alt=\"page\" src=\""));
        SEAL_TRY(data_png(out, &p->thumbnail_png));
        SEAL_TRY(seal_buf_printf(out,
                                 "\"><div class=\"box\" style=\"left:%.2f%%;top:%.2f%%;"
                                 "width:%.2f%%;height:%.2f%%\"></div></div>"
                                 "<figcaption>第 %d 页 / page %d</figcaption></figure>",
                                 100 * p->box_mm[0] / p->page_mm[0],
                                 100 * p->box_mm[1] / p->page_mm[1],
                                 100 * p->box_mm[2] / p->page_mm[0],
                                 100 * p->box_mm[3] / p->page_mm[1], p->page, p->page));
    }
    SEAL_TRY(seal_buf_append_str(out, "</div>\n"));
out:
    return rc;
}

/* The certificates the verdict rests on, each with its status and the evidence. */
static int certificates(seal_buf *out, const seal_sig_report *s)
{
    int rc = 0;
    if (s->n_certs == 0)
        return 0;
    SEAL_TRY(seal_buf_append_str(
        out, "<h3>证书链 / Certificates</h3>\n<table class=\"certs\"><tr><th>Role</th>"
             "<th>Certificate</th><th>Status at the signing time</th><th>Evidence</th></tr>\n"));
    for (size_t i = 0; i < s->n_certs; i++) {
        const seal_cert_report *c = &s->certs[i];
        SEAL_TRY(seal_buf_append_str(out, "<tr><td>"));
        SEAL_TRY(esc_or_dash(out, c->role));
        SEAL_TRY(seal_buf_append_str(out, "</td><td>"));
        SEAL_TRY(esc_or_dash(out, c->subject));
        SEAL_TRY(seal_buf_append_str(out, "<br><small>issuer "));
        SEAL_TRY(esc_or_dash(out, c->issuer));
        SEAL_TRY(seal_buf_append_str(out, ", serial "));
        SEAL_TRY(esc_or_dash(out, c->serial));
        SEAL_TRY(seal_buf_append_str(out, ", valid "));
        SEAL_TRY(put_time(out, c->not_before));
        SEAL_TRY(seal_buf_append_str(out, " to "));
        SEAL_TRY(put_time(out, c->not_after));
        SEAL_TRY(seal_buf_printf(out, "</small></td><td class=\"%s\">", verdict_class(c->outcome)));
        SEAL_TRY(esc_or_dash(out, c->status));
        if (c->revoked_at) {
            SEAL_TRY(seal_buf_append_str(out, "<br><small>revoked or held since "));
            SEAL_TRY(put_time(out, c->revoked_at));
            SEAL_TRY(seal_buf_append_str(out, "</small>"));
        }
        SEAL_TRY(seal_buf_append_str(out, "</td><td>"));
        if (!c->evidence_kind) {
            SEAL_TRY(seal_buf_append_str(out, "-"));
        } else if (strcmp(c->evidence_kind, "crl") == 0) {
            SEAL_TRY(seal_buf_append_str(out, "CRL"));
            if (c->crl_number) {
                SEAL_TRY(seal_buf_append_str(out, " number "));
                SEAL_TRY(esc(out, c->crl_number));
            }
            SEAL_TRY(seal_buf_append_str(out, ", thisUpdate "));
            SEAL_TRY(put_time(out, c->this_update));
        } else {
            SEAL_TRY(seal_buf_append_str(out, "OCSP, producedAt "));
            SEAL_TRY(put_time(out, c->produced_at));
        }
        if (c->evidence_kind) {
            SEAL_TRY(seal_buf_append_str(out, "<br><small>signed by "));
            SEAL_TRY(esc_or_dash(out, c->evidence_signer));
            SEAL_TRY(seal_buf_append_str(out, "; from "));
            SEAL_TRY(esc_or_dash(out, c->evidence_source));
            SEAL_TRY(seal_buf_append_str(out, "</small>"));
        }
        SEAL_TRY(seal_buf_append_str(out, "</td></tr>\n"));
    }
    SEAL_TRY(seal_buf_append_str(out, "</table>\n"));
out:
    return rc;
}

static int signature(seal_buf *out, size_t index, const seal_sig_report *s)
{
    int rc = 0;
    SEAL_TRY(seal_buf_printf(
        out, "<section class=\"sig\">\n<h2>签章 %zu / Signature %zu: ", index + 1, index + 1));
    SEAL_TRY(esc_or_dash(out, s->seal_name ? s->seal_name : s->field_name));
    SEAL_TRY(seal_buf_append_str(out, "</h2>\n"));
    SEAL_TRY(verdict_block(out, s->verdict, s->reason, false));
    if (s->picture)
        SEAL_TRY(pictures(out, s->picture));
    SEAL_TRY(seal_buf_append_str(out, "<table class=\"facts\">\n"));
    SEAL_TRY(row(out, "签署人 / Signer", s->signer_name));
    SEAL_TRY(row(out, "单位 / Institution", s->signer_org));
    SEAL_TRY(row(out, "统一社会信用代码 / Credit code", s->signer_org_id));
    SEAL_TRY(row(out, "证书主体 / Subject", s->signer_subject));
    SEAL_TRY(row(out, "签发者 / Issuer", s->signer_issuer));
    SEAL_TRY(row(out, "证书序列号 / Serial", s->signer_serial));
    SEAL_TRY(row(out, "印章 / Seal", s->seal_name));
    SEAL_TRY(row_time(out, "签署时间 / Signed at", s->signing_time));
    SEAL_TRY(row(out, "时间依据 / Time proven by", s->time_source));
    for (size_t i = 0; i < s->n_checks; i++)
        if (strcmp(s->checks[i].name, "timestamp") == 0)
            SEAL_TRY(row(out, "时间戳 / Timestamp", s->checks[i].detail));
    SEAL_TRY(row(out, "签名字段 / Field", s->field_name));
    SEAL_TRY(row(out, "类型 / Kind", s->kind));
    SEAL_TRY(seal_buf_append_str(out, "<tr><th>算法 / Algorithm</th><td>"));
    SEAL_TRY(esc_or_dash(out, s->algorithm));
    SEAL_TRY(seal_buf_append_str(out, " / "));
    SEAL_TRY(esc_or_dash(out, s->digest));
    SEAL_TRY(seal_buf_append_str(out, "</td></tr>\n"));
    SEAL_TRY(row(out, "覆盖范围 / Covers", s->coverage));
    if (s->page > 0)
        SEAL_TRY(seal_buf_printf(out, "<tr><th>位置 / Page</th><td>%d</td></tr>\n", s->page));
    SEAL_TRY(seal_buf_append_str(out, "</table>\n"));
    SEAL_TRY(certificates(out, s));

    SEAL_TRY(seal_buf_append_str(out, "<h3>签署后的改动 / Changes after signing</h3>\n"));
    if (s->n_changes == 0)
        SEAL_TRY(seal_buf_append_str(out, "<p>无 / none</p>\n"));
    else {
        SEAL_TRY(seal_buf_append_str(out, "<ul class=\"changes\">\n"));
        for (size_t i = 0; i < s->n_changes; i++) {
            SEAL_TRY(seal_buf_append_str(out, "<li>"));
            SEAL_TRY(esc(out, s->changes[i]));
            SEAL_TRY(seal_buf_append_str(out, "</li>\n"));
        }
        SEAL_TRY(seal_buf_append_str(out, "</ul>\n"));
    }

    SEAL_TRY(seal_buf_append_str(out, "<h3>检查项 / Checks</h3>\n<table class=\"checks\">\n"));
    for (size_t i = 0; i < s->n_checks; i++) {
        const seal_check *c = &s->checks[i];
        SEAL_TRY(seal_buf_append_str(out, "<tr><td>"));
        SEAL_TRY(esc(out, c->name));
        SEAL_TRY(seal_buf_printf(out, "</td><td class=\"%s\">%s</td><td>",
                                 verdict_class(c->outcome), seal_verdict_name(c->outcome)));
        SEAL_TRY(esc_or_dash(out, c->detail));
        SEAL_TRY(seal_buf_append_str(out, "</td></tr>\n"));
    }
    SEAL_TRY(seal_buf_append_str(out, "</table>\n</section>\n"));
out:
    return rc;
}

/* Screen and print alike; print keeps the colours and starts no signature mid-page when
 * it fits on one. No @import, no url(): nothing is fetched. */
static const char css[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"WenQuanYi Micro Hei\","
    "sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222;line-height:1.4}"
    "h1{font-size:1.6em;margin:0 0 .5em}h2{font-size:1.3em;border-bottom:1px solid #ccc}"
    "h3{font-size:1.05em;margin:1.2em 0 .4em}"
    "table{border-collapse:collapse;width:100%;margin:.3em 0}"
    "th,td{text-align:left;vertical-align:top;padding:.25em .5em;border-bottom:1px solid #eee;"
    "overflow-wrap:break-word}"
    "table.certs td:first-child,table.checks td:first-child,table.checks td:nth-child(2),"
    "table.certs td:nth-child(3){white-space:nowrap}"
    "table.facts th{width:14em;font-weight:600;color:#555}"
    ".verdict{border:3px solid;border-radius:6px;padding:.6em 1em;margin:.8em 0}"
    ".verdict .word{font-size:1.6em;font-weight:700}.verdict.big .word{font-size:3em}"
    ".verdict .etsi{font-family:monospace;font-size:.95em}.verdict p{margin:.3em 0}"
    ".verdict.valid{border-color:#1a7f37;background:#e9f7ee}.verdict.valid .word{color:#1a7f37}"
    ".verdict.invalid{border-color:#c62828;background:#fdecea}"
    ".verdict.invalid .word{color:#c62828}"
    ".verdict.indet{border-color:#b26a00;background:#fff4e0}.verdict.indet .word{color:#b26a00}"
    "td.valid{color:#1a7f37}td.invalid{color:#c62828;font-weight:700}"
    "td.indet{color:#b26a00;font-weight:700}"
    ".pictures{display:flex;gap:1.5em;align-items:flex-start;flex-wrap:wrap}"
    "figure{margin:.5em 0}figcaption{font-size:.85em;color:#555}"
    "img.seal{max-width:12em;max-height:12em;border:1px solid #ddd}"
    ".thumb{position:relative;display:inline-block;border:1px solid #999;line-height:0}"
    ".thumb img{width:240px;height:auto}"
    ".thumb .box{position:absolute;border:2px solid #c62828;box-sizing:border-box}"
    "small{color:#555}.file td{font-family:monospace}"
    "@media print{body{margin:0;max-width:none;font-size:10pt}"
    "section.sig{break-inside:avoid-page}.verdict,.thumb .box,td{-webkit-print-color-adjust:"
    "exact;print-color-adjust:exact}}";

int seal_report_to_html(const seal_report *r, seal_buf *out)
{
    int rc = 0;
    gchar *base = g_path_get_basename(r->file && *r->file ? r->file : "-");
    SEAL_TRY(seal_buf_append_str(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
                                      "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
                                      "content=\"width=device-width,initial-scale=1\">\n"
                                      "<title>验证报告 / Verification report: "));
    SEAL_TRY(esc(out, base));
    SEAL_TRY(seal_buf_printf(out, "</title>\n<style>%s</style></head>\n<body>\n", css));
    SEAL_TRY(seal_buf_append_str(out, "<h1>签章验证报告 / Signature verification report</h1>\n"
                                      "<table class=\"facts file\">\n"));
    SEAL_TRY(row(out, "文件 / Document", base));
    SEAL_TRY(row(out, "格式 / Format", r->format));
    if (r->size >= 0)
        SEAL_TRY(
            seal_buf_printf(out, "<tr><th>大小 / Size</th><td>%lld bytes</td></tr>\n", r->size));
    SEAL_TRY(row(out, "SHA-256", r->sha256));
    SEAL_TRY(row(out, "SM3", r->sm3));
    SEAL_TRY(row_time(out, "验证时间 / Verified at", r->verified_at));
    SEAL_TRY(seal_buf_printf(out, "<tr><th>签章数 / Signatures</th><td>%zu</td></tr>\n</table>\n",
                             r->n_sigs));
    SEAL_TRY(verdict_block(out, r->verdict, r->reason, true));
    for (size_t i = 0; i < r->n_sigs; i++)
        SEAL_TRY(signature(out, i, &r->sigs[i]));
    SEAL_TRY(seal_buf_append_str(out, "</body></html>\n"));
out:
    g_free(base);
    return rc;
}
