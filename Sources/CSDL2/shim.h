// SDL2 and SDL2_ttf from Debian's libsdl2-dev and libsdl2-ttf-dev.
#include <SDL2/SDL.h>
#include <SDL2/SDL_ttf.h>
