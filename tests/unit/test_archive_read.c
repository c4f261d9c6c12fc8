/* test_archive_read.c - unit tests of admin/archive_read.h (being written). */
#include "suites.h"

Suite *
archive_read_suite(void)
{
	return suite_create("archive_read");
}
