/* placeholder: replaced by the real names tests */
#include "suites.h"

Suite *
names_suite(void)
{
	return suite_create("names");
}
