/* Settings: defaults < file < env < flags, precise errors, secrets by path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcm/config.h"
#include "rcm_test.h"

static char *
write_temp(const char *text, mode_t mode)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/rcm-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    chmod(path, mode);
    return path;
}

static void
defaults_are_valid(void **state)
{
    (void)state;
    struct rcm_config cfg;
    assert_int_equal(rcm_config_init(&cfg), RCM_OK);
    assert_int_equal(RCM_CFG_INT(&cfg, server_port), 8443);
    assert_string_equal(RCM_CFG_STR(&cfg, server_listen), "127.0.0.1");
    assert_int_equal(cfg.origin[RCM_SETTING_server_port], RCM_ORIGIN_DEFAULT);
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_config_validate(&cfg, &d), RCM_OK);
    rcm_config_release(&cfg);
}

static void
precedence_file_env_flag(void **state)
{
    (void)state;
    struct rcm_config cfg;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_config_init(&cfg), RCM_OK);
    char *path = write_temp("[server]\nport = 9000\nlisten = 127.0.0.2\n[log]\nlevel=warn\n", 0644);
    assert_int_equal(rcm_config_load_file(&cfg, path, &d), RCM_OK);
    unlink(path);
    assert_int_equal(RCM_CFG_INT(&cfg, server_port), 9000);
    assert_int_equal(cfg.origin[RCM_SETTING_server_port], RCM_ORIGIN_FILE);
    char *env[] = {"PATH=/bin", "OPENRCM_SERVER_PORT=9100", "OPENRCM_CONFIG=/x", NULL};
    assert_int_equal(rcm_config_load_env(&cfg, env, &d), RCM_OK);
    assert_int_equal(RCM_CFG_INT(&cfg, server_port), 9100);
    assert_int_equal(cfg.origin[RCM_SETTING_server_port], RCM_ORIGIN_ENV);
    assert_int_equal(rcm_config_set(&cfg, "server.port", "9200", RCM_ORIGIN_FLAG, &d), RCM_OK);
    assert_int_equal(RCM_CFG_INT(&cfg, server_port), 9200);
    /* untouched by later layers */
    assert_string_equal(RCM_CFG_STR(&cfg, server_listen), "127.0.0.2");
    assert_string_equal(RCM_CFG_STR(&cfg, log_level), "warn");
    struct rcm_buf out = RCM_BUF_INIT(1 << 16);
    assert_int_equal(rcm_config_dump(&cfg, false, &out), RCM_OK);
    assert_non_null(strstr(rcm_buf_cstr(&out), "server.port"));
    assert_non_null(strstr(rcm_buf_cstr(&out), "# flag"));
    rcm_buf_reset(&out);
    assert_int_equal(rcm_config_dump(&cfg, true, &out), RCM_OK);
    assert_non_null(strstr(rcm_buf_cstr(&out),
                           "\"server.port\":{\"value\":\"9200\",\"origin\":\"flag\"}"));
    rcm_buf_release(&out);
    rcm_config_release(&cfg);
}

static void
precise_errors(void **state)
{
    (void)state;
    struct rcm_config cfg;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_config_init(&cfg), RCM_OK);
    assert_int_equal(rcm_config_set(&cfg, "server.port", "70000", RCM_ORIGIN_FLAG, &d),
                     RCM_E_CONFIG);
    assert_string_equal(d.msg, "server.port (from flag): 70000 is outside 0..65535");
    assert_int_equal(rcm_config_set(&cfg, "server.port", "84x3", RCM_ORIGIN_ENV, &d),
                     RCM_E_CONFIG);
    assert_string_equal(d.msg, "server.port (from env): \"84x3\" is not an integer");
    assert_int_equal(rcm_config_set(&cfg, "log.level", "loud", RCM_ORIGIN_FLAG, &d),
                     RCM_E_CONFIG);
    assert_non_null(strstr(d.msg, "debug|info|warn|error"));
    assert_int_equal(rcm_config_set(&cfg, "server.prot", "1", RCM_ORIGIN_FLAG, &d),
                     RCM_E_NOT_FOUND);
    char *env[] = {"OPENRCM_SERVER_PROT=1", NULL};
    assert_int_equal(rcm_config_load_env(&cfg, env, &d), RCM_E_CONFIG);
    assert_string_equal(d.msg, "unknown environment variable OPENRCM_SERVER_PROT");
    char *path = write_temp("[server]\nbogus = 1\n", 0644);
    assert_int_equal(rcm_config_load_file(&cfg, path, &d), RCM_E_CONFIG);
    assert_non_null(strstr(d.msg, "unknown setting \"server.bogus\""));
    unlink(path);
    /* found by fuzzing: a non-UTF-8 value made `config dump --json` fail */
    assert_int_equal(rcm_config_set(&cfg, "state_dir", "/srv/r\xe3m", RCM_ORIGIN_FILE, &d),
                     RCM_E_CONFIG);
    assert_non_null(strstr(d.msg, "not valid UTF-8"));
    /* a failed set leaves the old value */
    assert_int_equal(RCM_CFG_INT(&cfg, server_port), 8443);
    rcm_config_release(&cfg);
}

static void
secrets_must_be_private_files(void **state)
{
    (void)state;
    struct rcm_config cfg;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_config_init(&cfg), RCM_OK);
    char *key = write_temp("-----BEGIN PRIVATE KEY-----\n", 0644);
    char key_path[64];
    snprintf(key_path, sizeof key_path, "%s", key);
    assert_int_equal(rcm_config_set(&cfg, "server.tls_key_file", key_path,
                                     RCM_ORIGIN_FLAG, &d), RCM_OK);
    assert_int_equal(rcm_config_set(&cfg, "server.tls_cert_file", "/etc/hostname",
                                     RCM_ORIGIN_FLAG, &d), RCM_OK);
    assert_int_equal(rcm_config_validate(&cfg, &d), RCM_E_CONFIG);
    assert_non_null(strstr(d.msg, "chmod 600"));
    chmod(key_path, 0600);
    assert_int_equal(rcm_config_validate(&cfg, &d), RCM_OK);
    unlink(key_path);
    assert_int_equal(rcm_config_validate(&cfg, &d), RCM_E_CONFIG);
    assert_non_null(strstr(d.msg, "cannot read"));
    /* cert without key is refused */
    assert_int_equal(rcm_config_set(&cfg, "server.tls_key_file", "", RCM_ORIGIN_FLAG, &d),
                     RCM_OK);
    assert_int_equal(rcm_config_validate(&cfg, &d), RCM_E_CONFIG);
    assert_non_null(strstr(d.msg, "set together"));
    rcm_config_release(&cfg);
}

static void
database_path_defaults_to_state_dir(void **state)
{
    (void)state;
    struct rcm_config cfg;
    struct rcm_diag d = RCM_DIAG_INIT;
    assert_int_equal(rcm_config_init(&cfg), RCM_OK);
    assert_int_equal(rcm_config_set(&cfg, "state_dir", "/srv/rcm", RCM_ORIGIN_FLAG, &d), RCM_OK);
    char *p = rcm_config_database_path(&cfg);
    assert_string_equal(p, "/srv/rcm/openrcm.db");
    free(p);
    assert_int_equal(rcm_config_set(&cfg, "database.path", "/data/x.db", RCM_ORIGIN_FLAG, &d),
                     RCM_OK);
    p = rcm_config_database_path(&cfg);
    assert_string_equal(p, "/data/x.db");
    free(p);
    rcm_config_release(&cfg);
}

RUN_TESTS(cmocka_unit_test(defaults_are_valid),
          cmocka_unit_test(precedence_file_env_flag),
          cmocka_unit_test(precise_errors),
          cmocka_unit_test(secrets_must_be_private_files),
          cmocka_unit_test(database_path_defaults_to_state_dir))
