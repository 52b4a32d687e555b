/* The system's libsndfile (Debian: libsndfile1-dev; flags from pkg-config "sndfile"): WAV (integer
 * and float), FLAC, OGG/Vorbis and more, read and written through plain C calls. */
#include <sndfile.h>
