#ifndef STRAT_CEDITLINE_SHIM_H
#define STRAT_CEDITLINE_SHIM_H
#include <stdio.h>
#include <editline/readline.h>
#endif
