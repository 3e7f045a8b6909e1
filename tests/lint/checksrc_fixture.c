/* Fixture for tools/checksrc's self-test (tests/lint). Never compiled.
 * checksrc_fixture.expected lists exactly the findings this file must
 * produce; a line here that should NOT be reported says so. */

void banned(char *d, const char *s, char *buf, va_list ap, int n)
{
    strcpy(d, s);
    strcat(d, s);
    strncpy(d, s, n);
    strncat(d, s, n);
    sprintf(d, "%s", s);
    vsprintf(d, s, ap);
    gets(buf);
    n = atoi(s);
    n = atol(s);
    n = atoll(s);
    double x = atof(s);
    char *t = strtok(buf, ",");
    tmpnam(buf);
    mktemp(buf);
    char *a = alloca(n);
    srand(1);
    n = rand();
    n = rand ();          /* space before the parenthesis: reported */
    n = (int)atoi
        (s);              /* split over two lines: reported on the name's line */
}

void not_calls(char *d, const char *s, struct thing *p, struct thing q, int n)
{
    /* strcpy(d, s); a commented-out call is not reported */
    // strcat(d, s); nor is a line comment
    /*
     * sprintf(d, s); nor a call inside a multi-line comment
     */
    const char *m = "strcpy(d, s) and gets(buf) inside a string";
    const char *e = "escaped quote \" then atoi(s) still inside the string";
    char c = '"';         /* a quote in a character literal opens no string: */
    n = atol(s);          /* so this one IS reported */
    my_strcpy_like(d, s); /* look-alike identifiers are not reported */
    rcm_str_cat(d, s);
    n = operand(n) + xrand() + rand_bytes(d) + strcpy_s(d, n, s);
    n = p->rand() + q.atoi(s); /* members are not the libc functions */
    int (*f)(const char *) = atoi; /* naming it without calling is not reported */
}

void escapes(char *d, const char *s, int n)
{
    strncpy(d, s, n); /* checksrc: allow strncpy - fixed-width, NUL-padded field */
    n = atoi(s); // checksrc: allow atoi: line comments work too
    n = atoi(s); /* checksrc: allow atoi */
    n = 0; /* checksrc: allow atoi - stale: no call on this line */
    strcat(d, s); /* checksrc: allow strcpy - names the wrong function */
}
