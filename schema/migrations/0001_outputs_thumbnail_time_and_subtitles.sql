ALTER TABLE "media_items" ADD COLUMN "thumbnail_seconds" real;--> statement-breakpoint
ALTER TABLE "media_items" ADD COLUMN "subtitles" jsonb DEFAULT '[]'::jsonb NOT NULL;