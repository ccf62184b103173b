/* libqpdf, loaded on first use (base/lazy.h). Reading a PDF's structure needs it; most
 * commands never do (`stamp finish` writes the signature into the gap a prepare left,
 * OFD work and the store never touch PDF structure), and linking it made every process
 * load and relocate it with libstdc++ and GnuTLS at start-up: about a third of the
 * dynamic loader's work in `sealsvc --version`. So libseal is not linked with it.
 *
 * Files of src/pdf include this header instead of <qpdf/qpdf-c.h> and call qpdf by its own
 * names: each name below is defined onto the table's field of the same name without the
 * qpdf_ prefix (`qpdf_get_root(q)` becomes `(pdf_qpdf.get_root)(q)`). A qpdf session
 * is only begun by pdf_qpdf_new_strict (qpdf_session.c), which loads the library first, so
 * whoever holds a qpdf_data may call the table. A qpdf function used without being listed
 * here fails libseal's link (--no-undefined): add it to PDF_QPDF_FUNCTIONS and define its
 * name below. */
#ifndef SEAL_PDF_QPDF_LAZY_H
#define SEAL_PDF_QPDF_LAZY_H

#include <qpdf/qpdf-c.h>

/* Every qpdf function libseal calls, without the qpdf_ prefix: the session and reading,
 * errors and warnings, the document, object handles. */
#define PDF_QPDF_FUNCTIONS(X)                                                                      \
    X(init)                                                                                        \
    X(cleanup)                                                                                     \
    X(silence_errors)                                                                              \
    X(set_suppress_warnings)                                                                       \
    X(set_attempt_recovery)                                                                        \
    X(read_memory)                                                                                 \
    X(is_encrypted)                                                                                \
    X(has_error)                                                                                   \
    X(get_error)                                                                                   \
    X(get_error_code)                                                                              \
    X(get_error_full_text)                                                                         \
    X(get_error_message_detail)                                                                    \
    X(more_warnings)                                                                               \
    X(next_warning)                                                                                \
    X(get_root)                                                                                    \
    X(get_trailer)                                                                                 \
    X(get_object_by_id)                                                                            \
    X(get_num_pages)                                                                               \
    X(get_page_n)                                                                                  \
    X(find_page_by_oh)                                                                             \
    X(oh_begin_dict_key_iter)                                                                      \
    X(oh_dict_more_keys)                                                                           \
    X(oh_dict_next_key)                                                                            \
    X(oh_get_array_item)                                                                           \
    X(oh_get_array_n_items)                                                                        \
    X(oh_get_binary_string_value)                                                                  \
    X(oh_get_bool_value)                                                                           \
    X(oh_get_dict)                                                                                 \
    X(oh_get_generation)                                                                           \
    X(oh_get_int_value)                                                                            \
    X(oh_get_key)                                                                                  \
    X(oh_get_key_if_dict)                                                                          \
    X(oh_get_name)                                                                                 \
    X(oh_get_numeric_value)                                                                        \
    X(oh_get_object_id)                                                                            \
    X(oh_get_stream_data)                                                                          \
    X(oh_get_utf8_value)                                                                           \
    X(oh_has_key)                                                                                  \
    X(oh_is_array)                                                                                 \
    X(oh_is_bool)                                                                                  \
    X(oh_is_dictionary)                                                                            \
    X(oh_is_dictionary_of_type)                                                                    \
    X(oh_is_indirect)                                                                              \
    X(oh_is_integer)                                                                               \
    X(oh_is_name)                                                                                  \
    X(oh_is_name_and_equals)                                                                       \
    X(oh_is_null)                                                                                  \
    X(oh_is_number)                                                                                \
    X(oh_is_stream)                                                                                \
    X(oh_is_string)                                                                                \
    X(oh_new_name)                                                                                 \
    X(oh_new_null)                                                                                 \
    X(oh_unparse)                                                                                  \
    X(oh_unparse_resolved)                                                                         \
    X(init_write)                                                                                  \
    X(write)

/* The table, each field typed from qpdf's own declaration. */
typedef struct pdf_qpdf_table {
#define PDF_QPDF_FIELD(name) __typeof__(qpdf_##name) *name;
    PDF_QPDF_FUNCTIONS(PDF_QPDF_FIELD)
#undef PDF_QPDF_FIELD
} pdf_qpdf_table;

/* Filled by pdf_qpdf_load; read only after it succeeded. */
extern pdf_qpdf_table pdf_qpdf;

/* Loads libqpdf on the first call (safe from any thread); SEAL_EUNSUPPORTED "PDF support
 * needs libqpdf (SONAME), and ..." when it cannot be loaded. */
int pdf_qpdf_load(void);

#define qpdf_init                       (pdf_qpdf.init)
#define qpdf_cleanup                    (pdf_qpdf.cleanup)
#define qpdf_silence_errors             (pdf_qpdf.silence_errors)
#define qpdf_set_suppress_warnings      (pdf_qpdf.set_suppress_warnings)
#define qpdf_set_attempt_recovery       (pdf_qpdf.set_attempt_recovery)
#define qpdf_read_memory                (pdf_qpdf.read_memory)
#define qpdf_is_encrypted               (pdf_qpdf.is_encrypted)
#define qpdf_has_error                  (pdf_qpdf.has_error)
#define qpdf_get_error                  (pdf_qpdf.get_error)
#define qpdf_get_error_code             (pdf_qpdf.get_error_code)
#define qpdf_get_error_full_text        (pdf_qpdf.get_error_full_text)
#define qpdf_get_error_message_detail   (pdf_qpdf.get_error_message_detail)
#define qpdf_more_warnings              (pdf_qpdf.more_warnings)
#define qpdf_next_warning               (pdf_qpdf.next_warning)
#define qpdf_get_root                   (pdf_qpdf.get_root)
#define qpdf_get_trailer                (pdf_qpdf.get_trailer)
#define qpdf_get_object_by_id           (pdf_qpdf.get_object_by_id)
#define qpdf_get_num_pages              (pdf_qpdf.get_num_pages)
#define qpdf_get_page_n                 (pdf_qpdf.get_page_n)
#define qpdf_find_page_by_oh            (pdf_qpdf.find_page_by_oh)
#define qpdf_oh_begin_dict_key_iter     (pdf_qpdf.oh_begin_dict_key_iter)
#define qpdf_oh_dict_more_keys          (pdf_qpdf.oh_dict_more_keys)
#define qpdf_oh_dict_next_key           (pdf_qpdf.oh_dict_next_key)
#define qpdf_oh_get_array_item          (pdf_qpdf.oh_get_array_item)
#define qpdf_oh_get_array_n_items       (pdf_qpdf.oh_get_array_n_items)
#define qpdf_oh_get_binary_string_value (pdf_qpdf.oh_get_binary_string_value)
#define qpdf_oh_get_bool_value          (pdf_qpdf.oh_get_bool_value)
#define qpdf_oh_get_dict                (pdf_qpdf.oh_get_dict)
#define qpdf_oh_get_generation          (pdf_qpdf.oh_get_generation)
#define qpdf_oh_get_int_value           (pdf_qpdf.oh_get_int_value)
#define qpdf_oh_get_key                 (pdf_qpdf.oh_get_key)
#define qpdf_oh_get_key_if_dict         (pdf_qpdf.oh_get_key_if_dict)
#define qpdf_oh_get_name                (pdf_qpdf.oh_get_name)
#define qpdf_oh_get_numeric_value       (pdf_qpdf.oh_get_numeric_value)
#define qpdf_oh_get_object_id           (pdf_qpdf.oh_get_object_id)
#define qpdf_oh_get_stream_data         (pdf_qpdf.oh_get_stream_data)
#define qpdf_oh_get_utf8_value          (pdf_qpdf.oh_get_utf8_value)
#define qpdf_oh_has_key                 (pdf_qpdf.oh_has_key)
#define qpdf_oh_is_array                (pdf_qpdf.oh_is_array)
#define qpdf_oh_is_bool                 (pdf_qpdf.oh_is_bool)
#define qpdf_oh_is_dictionary           (pdf_qpdf.oh_is_dictionary)
#define qpdf_oh_is_dictionary_of_type   (pdf_qpdf.oh_is_dictionary_of_type)
#define qpdf_oh_is_indirect             (pdf_qpdf.oh_is_indirect)
#define qpdf_oh_is_integer              (pdf_qpdf.oh_is_integer)
#define qpdf_oh_is_name                 (pdf_qpdf.oh_is_name)
#define qpdf_oh_is_name_and_equals      (pdf_qpdf.oh_is_name_and_equals)
#define qpdf_oh_is_null                 (pdf_qpdf.oh_is_null)
#define qpdf_oh_is_number               (pdf_qpdf.oh_is_number)
#define qpdf_oh_is_stream               (pdf_qpdf.oh_is_stream)
#define qpdf_oh_is_string               (pdf_qpdf.oh_is_string)
#define qpdf_oh_new_name                (pdf_qpdf.oh_new_name)
#define qpdf_oh_new_null                (pdf_qpdf.oh_new_null)
#define qpdf_oh_unparse                 (pdf_qpdf.oh_unparse)
#define qpdf_oh_unparse_resolved        (pdf_qpdf.oh_unparse_resolved)
#define qpdf_init_write                 (pdf_qpdf.init_write)
#define qpdf_write                      (pdf_qpdf.write)

#endif
