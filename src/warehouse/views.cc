// Filled in by the views/data-tests work.
#include "warehouse/views.h"
