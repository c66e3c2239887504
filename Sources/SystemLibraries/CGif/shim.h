// giflib (Debian libgif-dev, pkg-config libgif): decodes the
// first frame of untrusted GIFs in CDSP's image.c.
#include <gif_lib.h>
