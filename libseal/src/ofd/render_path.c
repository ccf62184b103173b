/* OFD path data (AbbreviatedData) into a Cairo path, for page rendering: PathObject
 * outlines and clip areas. The operators are those of GB/T 33190-2016 9.1 table 36:
 * S and M start a subpath, L a line, Q a quadratic and B a cubic Bezier curve, A an
 * elliptical arc (the endpoint form SVG also uses), C closes the subpath. The numbers come
 * from the document, so every count and value is checked before Cairo sees it. */
#include "ofd/render_internal.h"

#include <seal/error.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A path larger than this is not a drawing anyone made by hand or by a converter. */
#define PATH_MAX_NUMBERS 2000000
/* Coordinates are millimetres in the object's space; a kilometre is already absurd. */
#define PATH_MAX_COORD 1.0e6

typedef struct path_reader {
    const char *text;
    size_t pos;
    size_t numbers; /* read so far, against PATH_MAX_NUMBERS */
} path_reader;

static void skip_separators(path_reader *r)
{
    while (r->text[r->pos] && (isspace((unsigned char)r->text[r->pos]) || r->text[r->pos] == ','))
        r->pos++;
}

static bool at_number(const path_reader *r)
{
    char c = r->text[r->pos];
    return c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9');
}

static int read_number(path_reader *r, char op, double *out)
{
    skip_separators(r);
    if (!at_number(r))
        return seal_error_set(
            SEAL_EFORMAT, "AbbreviatedData: operator %c lacks a number at offset %zu", op, r->pos);
    if (++r->numbers > PATH_MAX_NUMBERS)
        return seal_error_set(SEAL_EFORMAT, "AbbreviatedData has more than %d numbers",
                              PATH_MAX_NUMBERS);
    char *end = NULL;
    errno = 0;
    double v = strtod(r->text + r->pos, &end);
    /* strtod also reads "inf", "nan" and hexadecimal; at_number already excluded the
     * first two, and a finite range check catches the rest of what makes no drawing. */
    if (end == r->text + r->pos || errno == ERANGE || !isfinite(v) || fabs(v) > PATH_MAX_COORD)
        return seal_error_set(SEAL_EFORMAT, "AbbreviatedData: bad number at offset %zu", r->pos);
    r->pos = (size_t)(end - r->text);
    *out = v;
    return 0;
}

static int read_numbers(path_reader *r, char op, double *v, int n)
{
    for (int i = 0; i < n; i++) {
        int rc = read_number(r, op, &v[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static double vector_angle(double ux, double uy, double vx, double vy)
{
    return atan2(ux * vy - uy * vx, ux * vx + uy * vy);
}

/* GB/T 33190 table 36, operator A: rx ry angle large sweep x y. The angle turns the
 * ellipse clockwise on the page for positive values; sweep 1 goes clockwise. The page's y
 * axis points down, so both are the positive direction of Cairo's angles, and the
 * endpoint-to-centre conversion is the one SVG 1.1 (appendix F.6.5) gives for its arcs. */
static void arc_to(cairo_t *cr, const double a[7])
{
    double x1, y1;
    double x2 = a[5], y2 = a[6];
    if (!cairo_has_current_point(cr)) {
        cairo_move_to(cr, x2, y2);
        return;
    }
    cairo_get_current_point(cr, &x1, &y1);
    double rx = fabs(a[0]), ry = fabs(a[1]);
    if (x1 == x2 && y1 == y2)
        return;
    if (rx < 1e-9 || ry < 1e-9) {
        cairo_line_to(cr, x2, y2);
        return;
    }
    double phi = fmod(a[2], 360.0) * M_PI / 180.0;
    bool large = a[3] != 0, sweep = a[4] != 0;
    double c = cos(phi), s = sin(phi);
    double dx = (x1 - x2) / 2, dy = (y1 - y2) / 2;
    double xp = c * dx + s * dy;
    double yp = -s * dx + c * dy;
    /* Radii too small to reach the endpoint grow until they just do (F.6.6). */
    double lambda = (xp * xp) / (rx * rx) + (yp * yp) / (ry * ry);
    if (lambda > 1) {
        rx *= sqrt(lambda);
        ry *= sqrt(lambda);
    }
    double num = rx * rx * ry * ry - rx * rx * yp * yp - ry * ry * xp * xp;
    double den = rx * rx * yp * yp + ry * ry * xp * xp;
    double coef = den > 0 && num > 0 ? sqrt(num / den) : 0;
    if (large == sweep)
        coef = -coef;
    double cxp = coef * rx * yp / ry;
    double cyp = -coef * ry * xp / rx;
    double cx = c * cxp - s * cyp + (x1 + x2) / 2;
    double cy = s * cxp + c * cyp + (y1 + y2) / 2;
    double theta1 = vector_angle(1, 0, (xp - cxp) / rx, (yp - cyp) / ry);
    double delta =
        vector_angle((xp - cxp) / rx, (yp - cyp) / ry, (-xp - cxp) / rx, (-yp - cyp) / ry);
    if (!sweep && delta > 0)
        delta -= 2 * M_PI;
    else if (sweep && delta < 0)
        delta += 2 * M_PI;

    cairo_matrix_t saved;
    cairo_get_matrix(cr, &saved);
    cairo_translate(cr, cx, cy);
    cairo_rotate(cr, phi);
    cairo_scale(cr, rx, ry);
    if (delta > 0)
        cairo_arc(cr, 0, 0, 1, theta1, theta1 + delta);
    else
        cairo_arc_negative(cr, 0, 0, 1, theta1, theta1 + delta);
    cairo_set_matrix(cr, &saved);
    /* Land exactly on the endpoint the document names, whatever the rounding above. */
    cairo_line_to(cr, x2, y2);
}

/* The current point is where a Q needs its start for the cubic Cairo draws. */
static void quad_to(cairo_t *cr, const double q[4])
{
    double x0, y0;
    if (!cairo_has_current_point(cr))
        cairo_move_to(cr, q[0], q[1]);
    cairo_get_current_point(cr, &x0, &y0);
    cairo_curve_to(cr, x0 + 2.0 / 3.0 * (q[0] - x0), y0 + 2.0 / 3.0 * (q[1] - y0),
                   q[2] + 2.0 / 3.0 * (q[0] - q[2]), q[3] + 2.0 / 3.0 * (q[1] - q[3]), q[2], q[3]);
}

int render_path_append(cairo_t *cr, const char *data)
{
    path_reader r = {.text = data ? data : "", .pos = 0, .numbers = 0};
    char op = 0;
    double v[7];
    int rc;

    for (;;) {
        skip_separators(&r);
        char c = r.text[r.pos];
        if (!c)
            break;
        if (at_number(&r)) {
            /* Numbers after a complete operand list repeat the operator, as in SVG; C has
             * no operands, so numbers after it are an error. */
            if (!op || op == 'C')
                return seal_error_set(SEAL_EFORMAT,
                                      "AbbreviatedData: a number without an operator at offset %zu",
                                      r.pos);
        } else {
            op = (char)toupper((unsigned char)c);
            r.pos++;
            /* Z is the SVG spelling some producers write for C. */
            if (op == 'Z')
                op = 'C';
        }
        switch (op) {
        case 'S':
        case 'M':
            if ((rc = read_numbers(&r, op, v, 2)) < 0)
                return rc;
            cairo_move_to(cr, v[0], v[1]);
            break;
        case 'L':
            if ((rc = read_numbers(&r, op, v, 2)) < 0)
                return rc;
            cairo_line_to(cr, v[0], v[1]);
            break;
        case 'Q':
            if ((rc = read_numbers(&r, op, v, 4)) < 0)
                return rc;
            quad_to(cr, v);
            break;
        case 'B':
            if ((rc = read_numbers(&r, op, v, 6)) < 0)
                return rc;
            if (!cairo_has_current_point(cr))
                cairo_move_to(cr, v[0], v[1]);
            cairo_curve_to(cr, v[0], v[1], v[2], v[3], v[4], v[5]);
            break;
        case 'A':
            if ((rc = read_numbers(&r, op, v, 7)) < 0)
                return rc;
            arc_to(cr, v);
            break;
        case 'C':
            cairo_close_path(cr);
            break;
        default:
            return seal_error_set(SEAL_EFORMAT,
                                  "AbbreviatedData: unknown operator '%c' at offset %zu "
                                  "(GB/T 33190 9.1 has S M L Q B A C)",
                                  isprint((unsigned char)c) ? c : '?', r.pos - 1);
        }
    }
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        return seal_error_set(SEAL_EFORMAT, "AbbreviatedData could not be drawn: %s",
                              cairo_status_to_string(cairo_status(cr)));
    return 0;
}
