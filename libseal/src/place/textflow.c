/* The reading-order rule for keywords broken across lines (see textflow.h). It looks at
 * the lines' boxes only, so PDF and OFD pages are judged alike, whatever order the file
 * draws its text in. */
#include "place/textflow.h"

#include <math.h>

static double height(const double *line)
{
    return line[3] - line[1];
}

/* `below` is the line right under `line`: it starts lower than `line`'s middle, with at
 * most `gap` between them, and the two share some horizontal extent. */
static bool directly_below(const double *line, const double *below, double gap)
{
    return below[1] >= line[1] + height(line) / 2 && below[1] - line[3] <= gap &&
           below[0] < line[2] && below[2] > line[0];
}

bool seal_text_line_follows(const double (*lines)[4], size_t count, size_t a, size_t b)
{
    const double *la = lines[a], *lb = lines[b];
    double ha = height(la), hb = height(lb);
    if (!(ha > 0 && hb > 0))
        return false;
    double h = fmax(ha, hb);
    if (fmin(ha, hb) < h / 2)
        return false;
    /* The next line below: one line height is more than any leading or paragraph
     * spacing sets between lines of one text. */
    if (directly_below(la, lb, h))
        return true;
    /* The next column: b begins at or right of a's end and wholly above a... */
    if (lb[0] < la[2] - h / 2 || lb[3] > la[1])
        return false;
    /* ...nothing of a's column follows a, and nothing of b's column comes before b. */
    for (size_t i = 0; i < count; i++) {
        if (i == a || i == b)
            continue;
        if (directly_below(la, lines[i], h) || directly_below(lines[i], lb, h))
            return false;
    }
    return true;
}
