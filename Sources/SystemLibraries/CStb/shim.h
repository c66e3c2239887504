// Debian's libstb ships the implementations of the stb single-header libraries as libstb.so, so no .c file
// of ours defines STB_*_IMPLEMENTATION; this shim only names the headers CDSP uses. stb_image (reading) is
// deliberately absent: untrusted images go to libjpeg-turbo, libpng, giflib and libwebp (docs/images.md).
#include <stb_image_write.h>
#include <stb_image_resize.h>
#include <stb_truetype.h>
