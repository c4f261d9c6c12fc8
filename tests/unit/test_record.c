/* placeholder: replaced by the real record tests */
#include "suites.h"

Suite *
record_suite(void)
{
	return suite_create("record");
}
