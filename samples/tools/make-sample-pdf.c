/* Makes samples/contract-zh.pdf: a three-page Chinese procurement contract on A4, set in
 * the seal font shipped in fonts/, with the places where seals go ("甲方（盖章）",
 * "乙方（盖章）") on the last page. The README's demo stamps and verifies it.
 *
 * usage: make-sample-pdf OUT.pdf */
#include <seal/image.h>

#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <stdio.h>
#include <string.h>

#define PT_PER_MM (72.0 / 25.4)
#define PAGE_W    (210 * PT_PER_MM)
#define PAGE_H    (297 * PT_PER_MM)
#define MARGIN    (25 * PT_PER_MM)

static const char *const clauses[] = {
    "第一条 合同标的：乙方向甲方提供政务服务平台电子印章系统软件及相关技术服务，"
    "包括电子印章制作、签章、验章、证书管理与审计功能。",
    "第二条 合同金额：本合同总金额为人民币叁拾捌万陆仟元整（386,000.00元），"
    "含税价，包括软件许可、部署实施、培训及一年免费维护。",
    "第三条 交付期限：乙方应于合同签订之日起六十日内完成系统部署，并通过甲方组织的验收。",
    "第四条 质量要求：系统应符合 GB/T 38540-2020《信息安全技术 安全电子签章密码技术规范》"
    "及 GB/T 33190-2016《电子文件存储与交换格式 版式文档》的要求。",
    "第五条 付款方式：合同签订后十个工作日内甲方支付合同总额的百分之三十；"
    "验收合格后十个工作日内支付百分之六十；质保期满后支付剩余百分之十。",
    "第六条 保密条款：双方对在履行本合同过程中知悉的对方商业秘密、个人信息及"
    "证书密钥等负有保密义务，保密期限不因合同终止而终止。",
    "第七条 违约责任：任何一方违反本合同约定，应向守约方支付合同总额百分之五的违约金；"
    "违约金不足以弥补损失的，还应赔偿实际损失。",
    "第八条 争议解决：因本合同引起的争议，双方应协商解决；协商不成的，"
    "任何一方均可向甲方所在地人民法院提起诉讼。",
    "第九条 电子签章效力：双方同意以可靠电子签名及电子印章签署本合同，"
    "经签章的电子文本与纸质文本具有同等法律效力。",
    "第十条 其他：本合同一式两份，甲乙双方各执一份，自双方签章之日起生效。",
};

/* Draws UTF-8 text wrapped to the text width; returns the y after the paragraph. */
static double paragraph(cairo_t *cr, const char *text, double y, double size)
{
    cairo_set_font_size(cr, size);
    double width = PAGE_W - 2 * MARGIN, line_h = size * 1.8;
    char line[1024];
    size_t used = 0;
    const char *p = text;
    while (*p) {
        size_t n = 1;
        while ((p[n] & 0xC0) == 0x80)
            n++;
        memcpy(line + used, p, n);
        line[used + n] = 0;
        cairo_text_extents_t ext;
        cairo_text_extents(cr, line, &ext);
        if (ext.x_advance > width && used > 0) {
            line[used] = 0;
            cairo_move_to(cr, MARGIN, y);
            cairo_show_text(cr, line);
            y += line_h;
            used = 0;
            continue;
        }
        used += n;
        p += n;
    }
    if (used) {
        line[used] = 0;
        cairo_move_to(cr, MARGIN, y);
        cairo_show_text(cr, line);
        y += line_h;
    }
    return y + size * 0.6;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make-sample-pdf OUT.pdf\n");
        return 64;
    }
    const char *font = seal_font_path();
    FT_Library ft;
    FT_Face face;
    if (!font || FT_Init_FreeType(&ft) || FT_New_Face(ft, font, 0, &face)) {
        fprintf(stderr, "make-sample-pdf: the seal font in fonts/ is missing\n");
        return 1;
    }
    cairo_surface_t *surface = cairo_pdf_surface_create(argv[1], PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, "电子印章系统采购合同");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "sealsvc samples");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE,
                                   "2026-11-01T09:00:00+08:00");
    cairo_t *cr = cairo_create(surface);
    cairo_font_face_t *cface = cairo_ft_font_face_create_for_ft_face(face, 0);
    cairo_set_font_face(cr, cface);

    size_t n_clauses = sizeof clauses / sizeof clauses[0];
    size_t per_page = 4;
    for (int page = 0; page < 3; page++) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        double y = MARGIN + 10;
        if (page == 0) {
            cairo_set_font_size(cr, 22);
            cairo_text_extents_t ext;
            const char *title = "电子印章系统采购合同";
            cairo_text_extents(cr, title, &ext);
            cairo_move_to(cr, (PAGE_W - ext.x_advance) / 2, y + 10);
            cairo_show_text(cr, title);
            y += 50;
            y = paragraph(cr, "合同编号：ZFCG-2026-0815", y, 11);
            y = paragraph(cr, "甲方（采购人）：北京市星河信息技术有限公司", y, 12);
            y = paragraph(cr, "乙方（供应商）：上海浦江建设工程有限公司", y, 12);
            y = paragraph(cr,
                          "根据《中华人民共和国民法典》《中华人民共和国电子签名法》及相关法律法规，"
                          "甲乙双方经平等协商，就电子印章系统采购事宜达成如下协议：",
                          y + 8, 12);
        }
        for (size_t i = page * per_page; i < (size_t)(page + 1) * per_page && i < n_clauses; i++)
            y = paragraph(cr, clauses[i], y, 12);
        if (page == 2) {
            y += 30;
            cairo_set_font_size(cr, 13);
            cairo_move_to(cr, MARGIN, y);
            cairo_show_text(cr, "甲方（盖章）：");
            cairo_move_to(cr, PAGE_W / 2 + 10, y);
            cairo_show_text(cr, "乙方（盖章）：");
            y += 80;
            cairo_set_font_size(cr, 12);
            cairo_move_to(cr, MARGIN, y);
            cairo_show_text(cr, "日期：2026年11月1日");
            cairo_move_to(cr, PAGE_W / 2 + 10, y);
            cairo_show_text(cr, "日期：2026年11月1日");
        }
        char footer[64];
        snprintf(footer, sizeof footer, "第 %d 页 共 3 页", page + 1);
        cairo_set_font_size(cr, 10);
        cairo_text_extents_t ext;
        cairo_text_extents(cr, footer, &ext);
        cairo_move_to(cr, (PAGE_W - ext.x_advance) / 2, PAGE_H - MARGIN / 2);
        cairo_show_text(cr, footer);
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_font_face_destroy(cface);
    cairo_surface_finish(surface);
    cairo_status_t st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    FT_Done_Face(face);
    FT_Done_FreeType(ft);
    if (st != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "make-sample-pdf: %s\n", cairo_status_to_string(st));
        return 1;
    }
    return 0;
}
