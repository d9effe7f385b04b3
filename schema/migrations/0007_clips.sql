ALTER TABLE "media_items" ADD COLUMN "clip_source_media_id" uuid;--> statement-breakpoint
ALTER TABLE "media_items" ADD COLUMN "clip_source_key" varchar(500);--> statement-breakpoint
ALTER TABLE "media_items" ADD COLUMN "clip_start_seconds" real;--> statement-breakpoint
ALTER TABLE "media_items" ADD COLUMN "clip_end_seconds" real;