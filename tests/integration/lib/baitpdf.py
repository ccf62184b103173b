#!/usr/bin/env python3
"""Small PDFs built as an attacker would, for the stamp-side examination tests
(tests/integration/stamp_bait.sh, stamp_certify_form.sh), with only the Python standard
library so that nothing of sealsvc's own goes into making them:

  baitpdf.py KIND OUT.pdf

KIND is one of:
  clean         one page of text, nothing else
  form          a page with two text fields under an indirect /AcroForm (object 6)
  oc-off        text inside optional content that is off by default (ISO 32000-1 8.11.4.3)
  hidden-annot  a FreeText annotation with the Hidden flag (12.5.3, bit 2)
  widget-cover  a text field whose widget lies over the page's text and paints it white
  javascript    a JavaScript /OpenAction (12.6.4.16)
  launch        a Launch action on a link (12.6.4.5)
  embedded      an embedded file in the /EmbeddedFiles name tree (7.11.4)
  unreferenced  an object no other object refers to (object 5)
"""
import sys

from pdftool import write_pdf

TEXT = b'BT /F1 14 Tf 72 760 Td (Contract total: 100 yuan) Tj ET'
FONT = b'<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>'


def stream(data, extra=b''):
    return b'<< /Length %d%s >>\nstream\n' % (len(data), extra) + data + b'\nendstream'


def page(extra=b'', resources=FONT):
    return b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s ' \
           b'/Contents 4 0 R%s >>' % (resources, extra)


PAGES = b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>'


def build(kind, out):
    catalog = b'<< /Type /Catalog /Pages 2 0 R >>'
    content = TEXT
    if kind == 'clean':
        objs = [catalog, PAGES, page(), stream(content)]
    elif kind == 'form':
        content = TEXT + b' BT /F1 12 Tf 72 700 Td (Name:) Tj ET BT /F1 12 Tf 72 660 Td (City:) Tj ET'
        objs = [b'<< /Type /Catalog /Pages 2 0 R /AcroForm 6 0 R >>', PAGES,
                page(b' /Annots [5 0 R 7 0 R]'), stream(content),
                b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (Name) /V (Li Lei) '
                b'/Rect [120 695 300 715] /P 3 0 R /F 4 /DA (/Helv 12 Tf 0 g) >>',
                b'<< /Fields [5 0 R 7 0 R] /DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv << '
                b'/Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>',
                b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (City) /V (Beijing) '
                b'/Rect [120 655 300 675] /P 3 0 R /F 4 /DA (/Helv 12 Tf 0 g) >>']
    elif kind == 'oc-off':
        content = b'/OC /Secret BDC BT /F1 14 Tf 72 760 Td (Hidden clause) Tj ET EMC ' + TEXT.replace(b'760', b'720')
        objs = [b'<< /Type /Catalog /Pages 2 0 R /OCProperties << /OCGs [5 0 R] '
                b'/D << /ON [] /OFF [5 0 R] /Order [5 0 R] >> >> >>', PAGES,
                page(resources=b'<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont '
                     b'/Helvetica >> >> /Properties << /Secret 5 0 R >> >>'),
                stream(content), b'<< /Type /OCG /Name (Secret terms) >>']
    elif kind == 'hidden-annot':
        objs = [catalog, PAGES, page(b' /Annots [5 0 R]'), stream(content),
                b'<< /Type /Annot /Subtype /FreeText /Rect [300 300 500 340] /F 2 '
                b'/Contents (Total: 900 yuan) /DA (/Helv 12 Tf 0 g) >>']
    elif kind == 'widget-cover':
        ap = b'1 g 0 0 300 24 re f 0 g BT /F1 14 Tf 2 6 Td (Contract total: 900 yuan) Tj ET'
        objs = [b'<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>', PAGES,
                page(b' /Annots [5 0 R]'), stream(content),
                b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (Total) /Rect [70 752 370 776] '
                b'/P 3 0 R /F 4 /AP << /N 6 0 R >> >>',
                stream(ap, b' /Type /XObject /Subtype /Form /BBox [0 0 300 24] /Resources ' + FONT)]
    elif kind == 'javascript':
        objs = [b'<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>', PAGES, page(),
                stream(content), b'<< /S /JavaScript /JS (app.alert\\("hi"\\);) >>']
    elif kind == 'launch':
        objs = [catalog, PAGES, page(b' /Annots [5 0 R]'), stream(content),
                b'<< /Type /Annot /Subtype /Link /Rect [72 755 300 775] /Border [0 0 0] '
                b'/A << /S /Launch /F (calc.exe) >> >>']
    elif kind == 'embedded':
        objs = [b'<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names '
                b'[(terms.txt) 5 0 R] >> >> >>', PAGES, page(), stream(content),
                b'<< /Type /Filespec /F (terms.txt) /UF (terms.txt) /EF << /F 6 0 R >> >>',
                stream(b'the real terms', b' /Type /EmbeddedFile')]
    elif kind == 'unreferenced':
        objs = [catalog, PAGES, page(), stream(content),
                stream(b'BT /F1 14 Tf 72 760 Td (Contract total: 900 yuan) Tj ET')]
    else:
        sys.exit('unknown kind ' + kind)
    write_pdf(out, objs)


if __name__ == '__main__':
    build(sys.argv[1], sys.argv[2])
