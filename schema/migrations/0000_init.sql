CREATE TYPE "public"."media_status" AS ENUM('uploading', 'uploaded', 'transcoding', 'ready', 'failed');--> statement-breakpoint
CREATE TYPE "public"."media_type" AS ENUM('video', 'audio');--> statement-breakpoint
CREATE TYPE "public"."mezzanine_status" AS ENUM('pending', 'ready', 'deleted');--> statement-breakpoint
CREATE TYPE "public"."transcoding_priority" AS ENUM('immediate', 'standard', 'on_demand');--> statement-breakpoint
CREATE TABLE "media_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"creator_id" uuid NOT NULL,
	"media_type" "media_type" NOT NULL,
	"status" "media_status" DEFAULT 'uploading' NOT NULL,
	"r2_key" varchar(500) NOT NULL,
	"original_filename" varchar(255) NOT NULL,
	"original_size" bigint NOT NULL,
	"content_type" varchar(100) NOT NULL,
	"duration_seconds" real,
	"width" integer,
	"height" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"hls_master_playlist_key" varchar(500),
	"hls_preview_key" varchar(500),
	"thumbnail_key" varchar(500),
	"waveform_key" varchar(500),
	"waveform_image_key" varchar(500),
	"transcoding_error" text,
	"transcoding_error_code" varchar(40),
	"transcoding_attempts" integer DEFAULT 0 NOT NULL,
	"runpod_job_id" varchar(100),
	"mezzanine_key" varchar(500),
	"mezzanine_status" "mezzanine_status",
	"transcoding_priority" "transcoding_priority" DEFAULT 'standard' NOT NULL,
	"ready_variants" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"loudness_integrated" integer,
	"loudness_peak" integer,
	"loudness_range" integer,
	"projection_version" bigint DEFAULT 0 NOT NULL,
	"attempt_id" uuid,
	"transcoding_phase" varchar(20),
	"transcoding_percent" smallint,
	"transcoding_started_at" timestamp with time zone,
	"transcoding_finished_at" timestamp with time zone,
	"encoder" varchar(20),
	CONSTRAINT "media_items_ready_has_master" CHECK ("media_items"."status" <> 'ready' OR "media_items"."hls_master_playlist_key" IS NOT NULL),
	CONSTRAINT "media_items_attempts_range" CHECK ("media_items"."transcoding_attempts" BETWEEN 0 AND 1),
	CONSTRAINT "media_items_percent_range" CHECK ("media_items"."transcoding_percent" IS NULL OR "media_items"."transcoding_percent" BETWEEN 0 AND 100)
);
--> statement-breakpoint
CREATE INDEX "media_items_status_updated_idx" ON "media_items" USING btree ("status","updated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "media_items_finished_idx" ON "media_items" USING btree ("transcoding_finished_at" DESC NULLS LAST) WHERE "media_items"."transcoding_finished_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "media_items_in_flight_idx" ON "media_items" USING btree ("transcoding_started_at") WHERE "media_items"."status" = 'transcoding';--> statement-breakpoint
CREATE INDEX "media_items_creator_created_idx" ON "media_items" USING btree ("creator_id","created_at" DESC NULLS LAST);