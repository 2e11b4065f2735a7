-- A journal written by the v1 release (commit af7ceea): `easel generate` made the complete jobs and the
-- server-error one; the rows 2000003…2000007 of session 2 (its pid set to 4194304, which no process can have) were added with the same
-- schema to hold what a crash leaves: 'processing', 'rate limited', failed jobs as v1 wrote their messages.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
INSERT INTO grdb_migrations VALUES('v1');
CREATE TABLE IF NOT EXISTS "session" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "pid" INTEGER NOT NULL, "startedAt" DOUBLE NOT NULL);
INSERT INTO session VALUES(1,23602,1796255489.7262072563);
INSERT INTO session VALUES(2,4194304,1796255493.5757184028);
CREATE TABLE IF NOT EXISTS "job" ("id" INTEGER PRIMARY KEY, "session" INTEGER NOT NULL, "prompt" TEXT NOT NULL, "negativePrompt" TEXT NOT NULL, "width" INTEGER NOT NULL, "height" INTEGER NOT NULL, "seed" INTEGER NOT NULL, "steps" INTEGER NOT NULL, "backend" TEXT NOT NULL, "state" TEXT NOT NULL, "remoteID" TEXT, "imageURL" TEXT, "file" TEXT, "imageWidth" INTEGER, "imageHeight" INTEGER, "errorKind" TEXT, "errorMessage" TEXT, "attempts" INTEGER NOT NULL, "createdAt" DOUBLE NOT NULL, "finishedAt" DOUBLE, "updatedAt" DOUBLE NOT NULL, "starred" BOOLEAN NOT NULL DEFAULT 0);
INSERT INTO job VALUES(1000001,1,'a lighthouse at dusk','',768,768,42,30,'demo','complete','gt6g8e-1','http://127.0.0.1:36979/images/gt6g8e-1.png','/tmp/fx/g/2026-12-02/235130_a-lighthouse-at-dusk_42.png',768,768,NULL,NULL,1,1796255489.7267963885,1796255490.9369437694,1796255490.9369437694,0);
INSERT INTO job VALUES(1000002,1,'foggy harbour','',768,768,42,30,'demo','complete','gt6g8e-2','http://127.0.0.1:36979/images/gt6g8e-2.png','/tmp/fx/g/2026-12-02/235132_foggy-harbour_42.png',768,768,NULL,NULL,1,1796255489.7267963885,1796255492.1203854083,1796255492.1203854083,0);
INSERT INTO job VALUES(2000001,2,'a broken server','',768,768,3426564223,30,'server','failed',NULL,NULL,NULL,NULL,NULL,'server','server error 500: internal server error (injected fault)',1,1796255493.5765519142,1796255493.6020512581,1796255493.6020512581,0);
INSERT INTO job VALUES(2000003,2,'a moon over the mountains','',768,768,7,30,'gpu','processing','job-abc',NULL,NULL,NULL,NULL,NULL,NULL,1,1796255499.7267963886,NULL,1796255500.7267963886,0);
INSERT INTO job VALUES(2000004,2,'waiting on a 429','',768,768,8,30,'gpu','rate limited',NULL,NULL,NULL,NULL,NULL,NULL,NULL,1,1796255501.7267963886,NULL,1796255502.7267963886,0);
INSERT INTO job VALUES(2000005,2,'a slow one','',768,768,9,30,'gpu','failed','job-slow',NULL,NULL,NULL,NULL,'timed_out','timed out after 15s: the job may still finish on the server',1,1796255503.7267963885,1796255519.7267963886,1796255519.7267963886,0);
INSERT INTO job VALUES(2000006,2,'a nested error','',768,768,10,30,'gpu','failed','job-501',NULL,NULL,NULL,NULL,'server','server error 501: server error 500',1,1796255505.7267963886,1796255506.7267963886,1796255506.7267963886,0);
INSERT INTO job VALUES(2000007,2,'changed my mind','',768,768,11,30,'demo','canceled',NULL,NULL,NULL,NULL,NULL,NULL,NULL,0,1796255507.7267963886,1796255508.7267963886,1796255508.7267963886,1);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('session',2);
CREATE INDEX "job_on_session" ON "job"("session");
CREATE INDEX "job_on_state" ON "job"("state");
CREATE INDEX "job_on_createdAt" ON "job"("createdAt");
COMMIT;
