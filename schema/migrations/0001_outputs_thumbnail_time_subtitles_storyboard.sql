ALTER TABLE "media_items" ADD COLUMN "thumbnail_seconds" real;--> statement-breakpoint
ALTER TABLE "media_items" ADD COLUMN "storyboard_key" varchar(500);--> statement-breakpoint
ALTER TABLE "media_items" ADD COLUMN "storyboard_vtt_key" varchar(500);--> statement-breakpoint
ALTER TABLE "media_items" ADD COLUMN "subtitles" jsonb DEFAULT '[]'::jsonb NOT NULL;