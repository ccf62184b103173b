/* Makes samples/notice-zh.ofd: a three-page Chinese notice on A4 as an OFD package
 * (GB/T 33190-2016), text in a font named 宋体 that is not embedded, a red heading with a
 * rule under it, and "盖章处：" on the last page where the demo puts a keyword seal.
 * The archive is reproducible: fixed entry times, fixed order, deflate through zlib.
 *
 * usage: make-sample-ofd OUT.ofd */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <zip.h>

#define PAGE_W  210.0
#define PAGE_H  297.0
#define MARGIN  28.0
#define TEXT_W  (PAGE_W - 2 * MARGIN)
#define BODY    4.2 /* mm, about 12 pt (GB/T 9704 sets body text at 三号; smaller here) */
#define N_PAGES 3

#define NS "xmlns:ofd=\"http://www.ofdspec.org/2016\""

/* 2026-11-01 09:00:00 as an MS-DOS date and time (APPNOTE 4.4.6): every entry gets it. */
#define DOS_DATE ((2026 - 1980) << 9 | 11 << 5 | 1)
#define DOS_TIME (9 << 11)

/* The font resource all text uses (PublicRes.xml) and the first free object ID. */
#define FONT_ID 2
static unsigned next_id = 3;

typedef struct {
    const char *text;
    double size;      /* mm */
    int align;        /* 0 indented two characters, 1 centred, 2 right, 3 flush left */
    const char *fill; /* "R G B" or NULL for black */
    double gap_after; /* mm */
} para;

static const para pages[N_PAGES][12] = {
    {
        {"广州南粤招标代理有限公司文件", 9.0, 1, "200 0 0", 6},
        {"南粤招〔2026〕18号", BODY, 1, NULL, 12},
        {"关于启用电子印章系统的通知", 6.5, 1, NULL, 8},
        {"各部门、各项目组：", BODY, 3, NULL, 2},
        {"为落实《中华人民共和国电子签名法》和 GB/T 38540-2020《信息安全技术 安全电子签章"
         "密码技术规范》的要求，提高招标文件、中标通知书和合同的签署效率，公司决定自 2026 年"
         "11 月 1 日起启用电子印章系统。现将有关事项通知如下。",
         BODY, 0, NULL, 3},
        {"一、适用范围。公司对外出具的招标文件、澄清文件、中标通知书、合同及其补充协议，"
         "以版式文档（OFD 或 PDF）形式出具的，一律加盖电子印章；纸质文件仍按原规定用印。",
         BODY, 0, NULL, 3},
        {"二、印章种类。电子印章分为公章、合同专用章和法定代表人名章三类，由公司综合部统一"
         "向电子认证服务机构申请数字证书，经制章系统制作后交各用印部门使用。",
         BODY, 0, NULL, 3},
        {NULL, 0, 0, NULL, 0},
    },
    {
        {"三、用印审批。用印前须在办公系统提交用印申请，写明文件名称、份数和用途，经部门"
         "负责人和综合部审核同意后方可盖章。电子印章的个人识别码由专人保管，不得转借他人。",
         BODY, 0, NULL, 3},
        {"四、验证与归档。加盖电子印章的文件，接收方可使用符合国家标准的验章软件验证印章"
         "和签名的有效性；公司档案室按版式文档归档要求保存原件及验证记录，保存期限不少于"
         "十五年。",
         BODY, 0, NULL, 3},
        {"五、安全管理。发现电子印章或数字证书有被冒用、泄露等情形的，应立即报告综合部，"
         "由综合部申请吊销证书并通知有关单位；印章停用、变更时同样处理。",
         BODY, 0, NULL, 3},
        {"六、其他事项。本通知未尽事宜，按照公司印章管理办法执行。各部门在执行中遇到的"
         "问题，请及时向综合部反映。",
         BODY, 0, NULL, 3},
        {NULL, 0, 0, NULL, 0},
    },
    {
        {"特此通知。", BODY, 0, NULL, 10},
        {"附件：电子印章使用登记表", BODY, 0, NULL, 30},
        {"盖章处：", BODY, 2, NULL, 30},
        {"广州南粤招标代理有限公司", BODY, 2, NULL, 3},
        {"2026年11月1日", BODY, 2, NULL, 3},
        {NULL, 0, 0, NULL, 0},
    },
};

/* Glyph advance in em: the CJK characters and full-width forms of GB 2312 are one em
 * wide in a Song face, ASCII half an em. */
static double advance(gunichar c)
{
    return c < 0x80 ? 0.5 : 1.0;
}

/* Appends one TextObject holding one line: a TextCode with its DeltaX (GB/T 33190 11.3:
 * the distances between successive glyph origins along the line). */
static void text_line(GString *out, const char *line, size_t bytes, double x, double y, double size,
                      const char *fill)
{
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    GString *delta = g_string_new(NULL);
    double width = 0;
    for (const char *p = line; p < line + bytes; p = g_utf8_next_char(p)) {
        double a = advance(g_utf8_get_char(p)) * size;
        width += a;
        if (g_utf8_next_char(p) < line + bytes)
            g_string_append_printf(delta, "%s%s", delta->len ? " " : "",
                                   g_ascii_formatd(num, sizeof num, "%.2f", a));
    }
    char *escaped = g_markup_escape_text(line, (gssize)bytes);
    g_string_append_printf(out,
                           "<ofd:TextObject ID=\"%u\" Boundary=\"%.2f %.2f %.2f %.2f\" "
                           "Font=\"%d\" Size=\"%.2f\">",
                           next_id++, x, y, width, size * 1.2, FONT_ID, size);
    if (fill)
        g_string_append_printf(out, "<ofd:FillColor Value=\"%s\"/>", fill);
    g_string_append_printf(out, "<ofd:TextCode X=\"0\" Y=\"%.2f\"%s%s%s>%s</ofd:TextCode>",
                           size * 0.95, delta->len ? " DeltaX=\"" : "", delta->str,
                           delta->len ? "\"" : "", escaped);
    g_string_append(out, "</ofd:TextObject>");
    g_free(escaped);
    g_string_free(delta, TRUE);
}

/* Lays out a paragraph line by line inside the text width; returns the y after it. */
static double paragraph(GString *out, const para *p, double y)
{
    double line_h = p->size * 1.75;
    const char *start = p->text;
    int first = 1;
    while (*start) {
        double indent = (p->align == 0 && first) ? 2 * p->size : 0;
        double width = 0;
        const char *end = start;
        while (*end) {
            double a = advance(g_utf8_get_char(end)) * p->size;
            if (width + a > TEXT_W - indent + 0.01)
                break;
            width += a;
            end = g_utf8_next_char(end);
        }
        /* closing punctuation never starts a line (GB/T 15834 5.1): it hangs in the margin */
        while (*end && g_utf8_strchr("，。、；：？！）》」", -1, g_utf8_get_char(end))) {
            width += advance(g_utf8_get_char(end)) * p->size;
            end = g_utf8_next_char(end);
        }
        double x = MARGIN + indent;
        if (p->align == 1)
            x = (PAGE_W - width) / 2;
        else if (p->align == 2)
            x = PAGE_W - MARGIN - width - 2 * p->size;
        text_line(out, start, (size_t)(end - start), x, y, p->size, p->fill);
        y += line_h;
        start = end;
        first = 0;
    }
    return y + p->gap_after;
}

static char *page_content(int page)
{
    GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    g_string_append_printf(out, "<ofd:Page " NS "><ofd:Content><ofd:Layer ID=\"%u\">", next_id++);
    double y = MARGIN + 8;
    for (const para *p = pages[page]; p->text; p++) {
        y = paragraph(out, p, y);
        if (page == 0 && p == &pages[0][1]) {
            /* the red rule under the heading, as official documents have it (GB/T 9704 7.2.4) */
            g_string_append_printf(out,
                                   "<ofd:PathObject ID=\"%u\" Boundary=\"%.2f %.2f %.2f 1\" "
                                   "LineWidth=\"0.6\"><ofd:StrokeColor Value=\"200 0 0\"/>"
                                   "<ofd:AbbreviatedData>M 0 0.5 L %.2f 0.5</ofd:AbbreviatedData>"
                                   "</ofd:PathObject>",
                                   next_id++, MARGIN, y - p->gap_after / 2 - 0.5, TEXT_W, TEXT_W);
        }
    }
    char footer[32];
    snprintf(footer, sizeof footer, "— %d —", page + 1);
    para foot = {footer, 3.5, 1, NULL, 0};
    paragraph(out, &foot, PAGE_H - 18);
    g_string_append(out, "</ofd:Layer></ofd:Content></ofd:Page>");
    return g_string_free(out, FALSE);
}

static int add(zip_t *zip, const char *name, char *data)
{
    zip_source_t *src = zip_source_buffer(zip, data, strlen(data), 1);
    zip_int64_t idx = src ? zip_file_add(zip, name, src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
        zip_source_free(src);
        return -1;
    }
    if (zip_set_file_compression(zip, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 9) < 0 ||
        zip_file_set_dostime(zip, (zip_uint64_t)idx, DOS_TIME, DOS_DATE, 0) < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make-sample-ofd OUT.ofd\n");
        return 64;
    }
    char *content[N_PAGES];
    for (int i = 0; i < N_PAGES; i++)
        content[i] = page_content(i);

    GString *doc = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    g_string_append_printf(doc,
                           "<ofd:Document " NS "><ofd:CommonData><ofd:MaxUnitID>%u</ofd:MaxUnitID>"
                           "<ofd:PageArea><ofd:PhysicalBox>0 0 %.0f %.0f</ofd:PhysicalBox>"
                           "</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
                           "</ofd:CommonData><ofd:Pages>",
                           next_id - 1 + N_PAGES, PAGE_W, PAGE_H);
    for (int i = 0; i < N_PAGES; i++)
        g_string_append_printf(doc, "<ofd:Page ID=\"%u\" BaseLoc=\"Pages/Page_%d/Content.xml\"/>",
                               next_id++, i);
    g_string_append(doc, "</ofd:Pages></ofd:Document>");

    char *ofd = g_strdup(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ofd:OFD " NS " Version=\"1.0\" DocType=\"OFD\"><ofd:DocBody><ofd:DocInfo>"
        "<ofd:DocID>5a2c1f0e9b7d4e8a8f3b6c1d2e4f6a80</ofd:DocID>"
        "<ofd:Title>关于启用电子印章系统的通知</ofd:Title>"
        "<ofd:Author>广州南粤招标代理有限公司</ofd:Author>"
        "<ofd:CreationDate>2026-11-01</ofd:CreationDate>"
        "<ofd:Creator>sealsvc samples</ofd:Creator><ofd:CreatorVersion>1.0</ofd:CreatorVersion>"
        "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>");
    char *res = g_strdup_printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                "<ofd:Res " NS " BaseLoc=\"Res\"><ofd:Fonts>"
                                "<ofd:Font ID=\"%d\" FontName=\"宋体\" FamilyName=\"宋体\"/>"
                                "</ofd:Fonts></ofd:Res>",
                                FONT_ID);

    /* libzip writes a temporary file and renames it over OUT in zip_close */
    int err = 0;
    zip_t *zip = zip_open(argv[1], ZIP_CREATE | ZIP_TRUNCATE, &err);
    int failed = !zip || add(zip, "OFD.xml", ofd) || add(zip, "Doc_0/Document.xml", doc->str) ||
                 add(zip, "Doc_0/PublicRes.xml", res);
    g_string_free(doc, FALSE);
    for (int i = 0; i < N_PAGES && !failed; i++) {
        char name[64];
        snprintf(name, sizeof name, "Doc_0/Pages/Page_%d/Content.xml", i);
        failed = add(zip, name, content[i]);
    }
    if (failed || zip_close(zip) < 0) {
        fprintf(stderr, "make-sample-ofd: %s: %s\n", argv[1],
                zip ? zip_strerror(zip) : "cannot create the archive");
        if (zip)
            zip_discard(zip);
        return 1;
    }
    return 0;
}
