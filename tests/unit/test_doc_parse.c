/* test_doc_parse.c - unit tests of admin/doc_parse.h (being written). */
#include "suites.h"

Suite *
doc_parse_suite(void)
{
	return suite_create("doc_parse");
}
