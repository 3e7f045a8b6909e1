/*
 * x12_bench_gen.c — write a large valid X12 file for the benchmarks.
 *
 *   bench_x12_gen 837p|835 MEGABYTES OUT
 *
 * 837P: one interchange, one group, transaction sets of 1000 claims (each
 * claim: subscriber HL, SBR, NM1 IL/PR, CLM, HI and three service lines).
 * 835: one interchange, one group, sets of 1000 claim payments (CLP, CAS,
 * NM1, DTM and two SVC lines each). Counts and control numbers are correct,
 * so `openrcm x12 validate` accepts the output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLAIMS_PER_SET 1000

static FILE *out;
static unsigned long seg_in_set;

static void
seg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#include <stdarg.h>

static void
seg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputs("~\n", out);
    seg_in_set++;
}

static void
set_837(unsigned long set_no, unsigned long *claim)
{
    seg_in_set = 0;
    seg("ST*837*%04lu*005010X222A1", set_no);
    seg("BHT*0019*00*B%lu*20240101*1200*CH", set_no);
    seg("NM1*41*2*BENCH SUBMITTER*****46*SUB123");
    seg("PER*IC*CONTACT*TE*5555551212");
    seg("NM1*40*2*BENCH RECEIVER*****46*REC123");
    seg("HL*1**20*1");
    seg("NM1*85*2*BENCH CLINIC*****XX*1234567893");
    seg("N3*1 MAIN ST");
    seg("N4*NEW YORK*NY*10001");
    seg("REF*EI*123456789");
    for (unsigned long i = 0; i < CLAIMS_PER_SET; i++) {
        unsigned long c = ++*claim;
        seg("HL*%lu*1*22*0", i + 2);
        seg("SBR*P*18*GRP%05lu******CI", c % 100000);
        seg("NM1*IL*1*PATIENT%lu*JANE****MI*M%09lu", c % 997, c);
        seg("N3*%lu ELM ST", c % 9999 + 1);
        seg("N4*SPRINGFIELD*IL*62701");
        seg("DMG*D8*19%02lu0%lu15*%c", c % 90 + 10, c % 9 + 1, c % 2 ? 'F' : 'M');
        seg("NM1*PR*2*BENCH PAYER*****PI*PAYER1");
        seg("CLM*C%lu*300***11:B:1*Y*A*Y*Y", c);
        seg("HI*ABK:J069*ABF:R509");
        for (int l = 1; l <= 3; l++) {
            seg("LX*%d", l);
            seg("SV1*HC:9921%d*100*UN*1***1", l + 1);
            seg("DTP*472*D8*202401%02d", l + 10);
        }
    }
    unsigned long n = seg_in_set + 1;
    seg("SE*%lu*%04lu", n, set_no);
}

static void
set_835(unsigned long set_no, unsigned long *claim)
{
    seg_in_set = 0;
    seg("ST*835*%04lu", set_no);
    seg("BPR*I*%d*C*CHK************20240105", CLAIMS_PER_SET * 150);
    seg("TRN*1*CHK%lu*1512345678", set_no);
    seg("DTM*405*20240105");
    seg("N1*PR*BENCH PAYER");
    seg("N3*1 PAYER WAY");
    seg("N4*HARTFORD*CT*06101");
    seg("PER*BL*TECH SUPPORT*TE*5555551212");
    seg("N1*PE*BENCH CLINIC*XX*1234567893");
    seg("LX*1");
    for (unsigned long i = 0; i < CLAIMS_PER_SET; i++) {
        unsigned long c = ++*claim;
        seg("CLP*C%lu*1*200*150*20*12*PCN%lu*11*1", c, c);
        seg("NM1*QC*1*PATIENT%lu*JANE****MI*M%09lu", c % 997, c);
        seg("DTM*232*20240101");
        for (int l = 1; l <= 2; l++) {
            seg("SVC*HC:9921%d*100*75**1", l + 1);
            seg("DTM*472*202401%02d", l + 10);
            seg("CAS*CO*45*%d", l == 1 ? 15 : 10);
            seg("AMT*B6*%d", l == 1 ? 85 : 90);
        }
    }
    unsigned long n = seg_in_set + 1;
    seg("SE*%lu*%04lu", n, set_no);
}

int
main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "837p") && strcmp(argv[1], "835"))) {
        fprintf(stderr, "usage: bench_x12_gen 837p|835 MEGABYTES OUT\n");
        return 2;
    }
    long mb = atol(argv[2]);
    out = fopen(argv[3], "w");
    if (!out || mb <= 0) {
        fprintf(stderr, "bench_x12_gen: cannot write %s\n", argv[3]);
        return 2;
    }
    int is837 = strcmp(argv[1], "837p") == 0;
    fputs(is837
          ? "ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*RECEIVERID     *240101*1200*^*00501*000000001*0*P*:~\n"
            "GS*HC*SUBMITTERID*RECEIVERID*20240101*1200*1*X*005010X222A1~\n"
          : "ISA*00*          *00*          *ZZ*PAYERID        *ZZ*PROVIDERID     *240101*1200*^*00501*000000001*0*P*:~\n"
            "GS*HP*PAYERID*PROVIDERID*20240101*1200*1*X*005010X221A1~\n",
          out);
    unsigned long sets = 0, claim = 0;
    while (ftell(out) < mb * 1000000L) {
        sets++;
        if (is837)
            set_837(sets, &claim);
        else
            set_835(sets, &claim);
    }
    fprintf(out, "GE*%lu*1~\nIEA*1*000000001~\n", sets);
    if (fclose(out) != 0)
        return 2;
    printf("%s: %lu transaction sets, %lu claims\n", argv[3], sets, claim);
    return 0;
}
