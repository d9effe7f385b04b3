ALTER TABLE "media_items" ADD COLUMN "normalize_audio" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "media_items" ADD COLUMN "requested_thumbnail_seconds" real;