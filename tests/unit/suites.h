/* The Check suites of the unit tests; main.c runs them all. */
#ifndef CSVPACK_SUITES_H
#define CSVPACK_SUITES_H

#include <check.h>

Suite *ring_suite(void);
Suite *event_suite(void);
Suite *csv_suite(void);
Suite *utf8_suite(void);
Suite *record_suite(void);
Suite *record_bad_suite(void);
Suite *names_suite(void);
Suite *tar_suite(void);
Suite *decode_suite(void);
Suite *doc_check_suite(void);
Suite *meta_suite(void);
Suite *journal_suite(void);
Suite *coverage_suite(void);
Suite *staging_suite(void);
Suite *outlock_suite(void);
Suite *input_suite(void);
Suite *options_suite(void);
Suite *sha256_suite(void);
Suite *archive_read_suite(void);
Suite *doc_parse_suite(void);
Suite *schema_suite(void);
Suite *shape_suite(void);
Suite *bom_suite(void);
Suite *gz_input_suite(void);
Suite *encoding_hint_suite(void);
Suite *xml_diff_suite(void);
Suite *convert_pool_suite(void);

#endif
