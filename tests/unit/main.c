/*
 * The unit-test runner: every suite in one SRunner.  CK_RUN_SUITE selects
 * one suite by name (Check's own variable), CK_DEFAULT_TIMEOUT bounds each
 * test, so a hung multi-process test fails instead of hanging the run.
 */
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int failed;

	srunner_add_suite(sr, event_suite());
	srunner_add_suite(sr, csv_suite());
	srunner_add_suite(sr, utf8_suite());
	srunner_add_suite(sr, record_suite());
	srunner_add_suite(sr, record_bad_suite());
	srunner_add_suite(sr, names_suite());
	srunner_add_suite(sr, tar_suite());
	srunner_add_suite(sr, decode_suite());
	srunner_add_suite(sr, doc_check_suite());
	srunner_add_suite(sr, meta_suite());
	srunner_add_suite(sr, journal_suite());
	srunner_add_suite(sr, coverage_suite());
	srunner_add_suite(sr, staging_suite());
	srunner_add_suite(sr, outlock_suite());
	srunner_add_suite(sr, input_suite());
	srunner_add_suite(sr, options_suite());
	srunner_add_suite(sr, sha256_suite());
	srunner_add_suite(sr, archive_read_suite());
	srunner_add_suite(sr, doc_parse_suite());
	srunner_add_suite(sr, schema_suite());
	srunner_add_suite(sr, shape_suite());
	srunner_add_suite(sr, bom_suite());
	srunner_add_suite(sr, gz_input_suite());
	srunner_add_suite(sr, encoding_hint_suite());
	srunner_add_suite(sr, xml_diff_suite());
	srunner_add_suite(sr, convert_pool_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	printf("unit: %d passed, %d failed\n",
	    srunner_ntests_run(sr) - failed, failed);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
