/* placeholder: replaced by the real tar tests */
#include "suites.h"

Suite *
tar_suite(void)
{
	return suite_create("tar");
}
