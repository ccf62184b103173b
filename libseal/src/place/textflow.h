/* Whether a keyword may run on from one line of text to another. Both keyword searches
 * (pdf/find_text.c over the lines Poppler lays out, ofd/text.c over runs of glyphs) ask
 * this before a match crosses a line break, so that a keyword the layout broke ("盖章"
 * ending one line, "处" starting the next) is found, while text that merely comes next in
 * the file (a heading far above, a line of another column, a footer) makes no false hit. */
#ifndef SEAL_PLACE_TEXTFLOW_H
#define SEAL_PLACE_TEXTFLOW_H

#include <stdbool.h>
#include <stddef.h>

/* lines[i] is a line's box on one page: x0, y0 (upper-left), x1, y1 (lower-right), in one
 * unit with y growing down. True when line b continues line a in reading order: b is the
 * next line below a (it starts lower than a's middle, at most one line height under it,
 * and shares some of a's width), or b starts the next column (it begins right of a's end
 * and above a, a is the last line of its column and b the first of its own). Lines of
 * different sizes (one less than half the other's height) never continue each other. */
bool seal_text_line_follows(const double (*lines)[4], size_t count, size_t a, size_t b);

#endif
