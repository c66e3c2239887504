// libjpeg-turbo (Debian libjpeg62-turbo-dev): decodes untrusted JPEGs in CDSP's image.c. jpeglib.h needs stdio.h.
#include <stdio.h>
#include <jpeglib.h>
