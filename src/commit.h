#define SPANDEX_COMMIT "600c503-dirty"
