package project

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden prints the Stack of a three-service project as indented JSON and compares it
// with testdata/stack.golden. After an intended change: go test ./project/ -run Golden -update
func TestGolden(t *testing.T) {
	st := convert(t, `
name: demo
services:
  web:
    image: nginx:${TAG}
    ports: ["8080:80", "127.0.0.1:8443:443"]
    volumes: ["./html:/usr/share/nginx/html:ro"]
    networks: [front, back]
    depends_on:
      api: {condition: service_healthy}
    restart: unless-stopped
  api:
    image: example/api:1
    command: ["serve", "--port", "3000"]
    environment: {DB_URL: "postgres://db/app", LOG_LEVEL: info}
    expose: ["3000"]
    networks:
      back: {aliases: [backend]}
    depends_on: [db]
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://localhost:3000/health"]
      interval: 10s
      retries: 3
    deploy:
      replicas: 2
      resources: {limits: {memory: 256m, cpus: "0.5"}}
  db:
    image: postgres:17
    environment: [POSTGRES_PASSWORD=secret]
    volumes: ["pgdata:/var/lib/postgresql/data", "/tmp/scratch"]
    networks: [back]
    stop_grace_period: 30s
    healthcheck:
      test: pg_isready
      start_period: 5s
networks:
  front: {}
  back: {internal: true}
volumes:
  pgdata: {}
`, Options{Version: "0.1.0"})
	got, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "stack.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Stack differs from %s; if the change is intended, run go test ./project/ -run Golden -update\n%s", golden, got)
	}
}
