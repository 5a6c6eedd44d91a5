package compose

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakePrograms are the programs a compose loader could be tricked into
// running: a VCS and transports for remote includes, the docker CLI and
// its credential helpers (a credsStore in the docker config), provider
// service plugins, shells for hooks and command substitution.
var fakePrograms = []string{
	"git", "ssh", "curl", "wget", "docker", "docker-compose", "docker-buildx",
	"docker-credential-desktop", "docker-credential-evil", "docker-credential-pass",
	"docker-credential-osxkeychain", "sh", "bash", "touch", "evilprovider", "oras",
}

// TestNothingRuns loads projects whose fields would run something if they
// were acted on instead of read (build steps, hooks, watch actions, shell
// syntax in values, a remote include, provider services, credential
// helpers), with PATH holding only fakes that record being run. Loading
// must run none of them and create none of the files the commands would.
func TestNothingRuns(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	marks := filepath.Join(tmp, "marks")
	sentinels := filepath.Join(tmp, "sentinels")
	for _, d := range []string{bin, marks, sentinels} {
		mkdir(t, d)
	}
	for _, name := range fakePrograms {
		script := "#!/bin/sh\necho \"$0 $*\" > '" + filepath.Join(marks, name) + "'\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	home := filepath.Join(tmp, "home")
	dockerConfig := filepath.Join(home, ".docker")
	mkdir(t, dockerConfig)
	writeFile(t, filepath.Join(dockerConfig, "config.json"),
		`{"credsStore":"evil","credHelpers":{"docker.io":"evil"},"auths":{"https://index.docker.io/v1/":{}}}`)
	// compose-go or a library under it would find programs through the
	// process's PATH, not Options.Environ: both point at the fakes
	t.Setenv("PATH", bin)
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", dockerConfig)

	s := func(n string) string { return filepath.Join(sentinels, n) }
	project := strings.NewReplacer("SENTINEL", sentinels+"/").Replace(`name: nothing-runs
x-hook: &hook
  command: sh -c 'touch SENTINELx-hook'
services:
  web:
    image: docker.io/library/nginx:latest
    build:
      context: .
      dockerfile_inline: |
        FROM busybox
        RUN touch SENTINELdockerfile-inline
      ssh: [default]
      secrets: [buildsecret]
    ports:
      - "${WEB_PORT:-8080}:80"
    labels:
      subst: "${UNSET_A:-$(touch SENTINELsubst-default)}"
      backticks: "` + "`touch SENTINELbackticks`" + `"
      plain: "$(touch SENTINELplain)"
    label_file: labels.txt
    env_file: app.env
    environment:
      FROM_SHELL: "$(touch SENTINELenvironment)"
    healthcheck:
      test: ["CMD-SHELL", "touch SENTINELhealthcheck"]
    post_start:
      - command: sh -c 'touch SENTINELpost-start'
    pre_stop:
      - command: ["touch", "SENTINELpre-stop"]
    develop:
      watch:
        - action: sync+exec
          path: ./src
          target: /app
          exec:
            command: ["sh", "-c", "touch SENTINELwatch-exec"]
        - action: rebuild
          path: ./Dockerfile
    x-run: *hook
  ai:
    provider:
      type: evilprovider
      options:
        cmd: touch SENTINELprovider
configs:
  inline:
    content: "$(touch SENTINELconfig-content)"
  fromenv:
    environment: CONFIG_ENV
secrets:
  buildsecret:
    environment: SECRET_ENV
  file:
    file: ./secret.txt
`)
	writeFile(t, filepath.Join(tmp, "labels.txt"), "L1=$(touch "+s("label-file")+")\nL2=`touch "+s("label-file-bt")+"`\n")
	writeFile(t, filepath.Join(tmp, "app.env"), "E1=$(touch "+s("env-file")+")\nE2=`touch "+s("env-file-bt")+"`\n")
	writeFile(t, filepath.Join(tmp, ".env"), "D1=$(touch "+s("dotenv")+")\n")
	writeFile(t, filepath.Join(tmp, "secret.txt"), "s3cr3t\n")
	writeFile(t, filepath.Join(tmp, "compose.yaml"), project)
	// the same project reaching out to a git repository, over ssh, and to
	// an OCI registry (whose credentials come from the helper)
	remote := filepath.Join(tmp, "remote")
	for i, inc := range []string{"git@github.com:example/evil.git", "ssh://git@example.com/evil.git#main:compose.yaml", "oci://docker.io/example/evil:latest", "https://github.com/example/evil.git"} {
		dir := filepath.Join(remote, "p"+string(rune('0'+i)))
		mkdir(t, dir)
		for _, name := range []string{"labels.txt", "app.env", "secret.txt"} {
			b, err := os.ReadFile(filepath.Join(tmp, name))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, name), string(b))
		}
		writeFile(t, filepath.Join(dir, "compose.yaml"), "include:\n  - "+inc+"\n"+project)
	}

	environ := []string{"PATH=" + bin, "HOME=" + home, "DOCKER_CONFIG=" + dockerConfig, "CONFIG_ENV=c", "SECRET_ENV=s"}
	p, err := loadBounded(t, Options{WorkingDir: tmp, Environ: environ})
	if err != nil {
		t.Fatalf("the project must load (it only declares commands): %v", err)
	}
	if len(p.Bindings) != 1 || p.Bindings[0].Published != "8080" {
		t.Errorf("bindings %+v, want web 8080", p.Bindings)
	}
	for i := range 4 {
		dir := filepath.Join(remote, "p"+string(rune('0'+i)))
		_, err := loadBounded(t, Options{WorkingDir: dir, Environ: environ})
		var le *LoadError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), "not fetched") {
			t.Errorf("%s: got %v, want a remote include not fetched", dir, err)
		}
	}

	for _, d := range []string{marks, sentinels} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(d, e.Name()))
			t.Errorf("loading ran something: %s exists (%s)", filepath.Join(d, e.Name()), strings.TrimSpace(string(b)))
		}
	}
}
