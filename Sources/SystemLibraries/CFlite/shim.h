// flite (Debian flite1-dev ships no pkg-config file, so the module map names the libraries to link).
#include <flite/flite.h>
