// Does not compile: the checker must say so (exit 2) rather than pass it.
#include "task.h"

void broken() { undeclared_function(); }
