// libpng 1.6 (Debian libpng-dev): decodes untrusted PNGs in CDSP's image.c through its simplified API.
#include <png.h>
