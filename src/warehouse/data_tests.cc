// Filled in by the views/data-tests work.
#include "warehouse/data_tests.h"
