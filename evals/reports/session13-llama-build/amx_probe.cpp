// Does the 0.3.36 ggml_tile_config_init give a valid AMX tile config when built by this GCC?
// Build twice: -DFIXED uses a full-struct memory operand for ldtilecfg.
#include <immintrin.h>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <sys/syscall.h>
struct tile_config_t{
    uint8_t palette_id = 0; uint8_t start_row = 0; uint8_t reserved_0[14] = {0};
    uint16_t colsb[16] = {0}; uint8_t rows[16] = {0};
};
__attribute__((noinline)) void dirty_stack() { volatile uint8_t junk[512]; for (int i = 0; i < 512; ++i) junk[i] = 0xAB; }
__attribute__((noinline)) void ggml_tile_config_init(void) {
    alignas(64) tile_config_t tc = {};
    tc.palette_id = 1; tc.start_row = 0;
    tc.rows[0] = 8;   tc.colsb[0] = 64; tc.rows[1] = 8;   tc.colsb[1] = 64;
    tc.rows[2] = 16;  tc.colsb[2] = 32; tc.rows[3] = 16;  tc.colsb[3] = 32;
    tc.rows[4] = 16;  tc.colsb[4] = 64; tc.rows[5] = 16;  tc.colsb[5] = 64;
    tc.rows[6] = 16;  tc.colsb[6] = 64; tc.rows[7] = 16;  tc.colsb[7] = 64;
#ifdef FIXED
    __asm__ volatile("ldtilecfg %0" :: "m"(tc));
#else
    _tile_loadconfig(&tc);
#endif
}
int main() {
    if (syscall(SYS_arch_prctl, 0x1023 /*ARCH_REQ_XCOMP_PERM*/, 18 /*XTILEDATA*/)) { perror("arch_prctl"); return 2; }
    printf("arch_prctl(ARCH_REQ_XCOMP_PERM, XTILEDATA) granted\n"); fflush(stdout);
    dirty_stack();
    ggml_tile_config_init();
    alignas(64) uint8_t cfg[64]; _tile_storeconfig(cfg);
    printf("loaded config: palette=%d rows[0..7]=%d,%d,%d,%d,%d,%d,%d,%d colsb[0]=%d\n", cfg[0], cfg[48], cfg[49], cfg[50], cfg[51], cfg[52], cfg[53], cfg[54], cfg[55], cfg[16] | cfg[17] << 8);
    fflush(stdout);
    alignas(64) int8_t a[16 * 64] = {0};
    _tile_loadd(2, a, 32);  // tmm2: 16 rows x 32 bytes, as mmq.cpp uses it
    _tile_zero(4);
    printf("AMX tile ops ran\n");
    return 0;
}
