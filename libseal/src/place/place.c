/* Coordinates: from "x, y mm from the top-left of the page as shown" to PDF user space.
 *
 * ISO 32000-1 8.3.2.3 and 7.7.3.3: /Rotate turns the page clockwise for display, so the
 * displayed top-left corner is a different corner of the CropBox for each rotation, and
 * the seal's appearance is rotated the other way (its form /Matrix) to stay upright. */
#include <seal/error.h>
#include <seal/place.h>

#include <stdbool.h>

double seal_mm_to_pt(double mm)
{
    return mm / SEAL_MM_PER_INCH * SEAL_PT_PER_INCH;
}

double seal_pt_to_mm(double pt)
{
    return pt / SEAL_PT_PER_INCH * SEAL_MM_PER_INCH;
}

int seal_place_pdf(seal_place_rect *out, const seal_place_page *page, double x_mm, double y_mm,
                   double w_mm, double h_mm)
{
    const double *b = page->box;
    double vx = seal_mm_to_pt(x_mm), vy = seal_mm_to_pt(y_mm);
    double w = seal_mm_to_pt(w_mm), h = seal_mm_to_pt(h_mm);
    double bw = b[2] - b[0], bh = b[3] - b[1];
    bool turned = page->rotate == 90 || page->rotate == 270;
    double view_w = turned ? bh : bw, view_h = turned ? bw : bh;

    if (x_mm < 0 || y_mm < 0 || vx > view_w || vy > view_h)
        return seal_error_set(SEAL_EINVAL,
                              "position %.1f,%.1f mm is outside the page (%.1f x %.1f mm as shown)",
                              x_mm, y_mm, seal_pt_to_mm(view_w), seal_pt_to_mm(view_h));
    if (w <= 0 || h <= 0)
        return seal_error_set(SEAL_EINVAL, "seal size %.1f x %.1f mm is not positive", w_mm, h_mm);

    double ux, uy;
    static const double matrices[4][6] = {
        {1, 0, 0, 1, 0, 0},   /* 0 */
        {0, 1, -1, 0, 0, 0},  /* 90: drawn 90 degrees anticlockwise */
        {-1, 0, 0, -1, 0, 0}, /* 180 */
        {0, -1, 1, 0, 0, 0},  /* 270 */
    };
    switch (page->rotate) {
    case 90: /* shown top-left is the box's lower-left; right is +y, down is +x */
        ux = b[0] + vy;
        uy = b[1] + vx;
        break;
    case 180: /* top-left is the upper-right corner */
        ux = b[2] - vx;
        uy = b[1] + vy;
        break;
    case 270: /* top-left is the upper-right corner; right is -y, down is -x */
        ux = b[2] - vy;
        uy = b[3] - vx;
        break;
    default:
        ux = b[0] + vx;
        uy = b[3] - vy;
        break;
    }
    double rw = turned ? h : w, rh = turned ? w : h;
    out->rect[0] = ux - rw / 2;
    out->rect[1] = uy - rh / 2;
    out->rect[2] = ux + rw / 2;
    out->rect[3] = uy + rh / 2;
    for (int i = 0; i < 6; i++)
        out->matrix[i] = matrices[page->rotate / 90 % 4][i];
    return 0;
}
